"""Messages the console's views exchange. Small and in one place."""

from __future__ import annotations

from textual.message import Message

from tminus.engine.session import Event


class SessionEvent(Message):
    """A session event was made durable and folded into the live state."""

    def __init__(self, event: Event) -> None:
        super().__init__()
        self.event = event


class MetricUpdated(Message):
    """A metric was polled. Queued duplicates collapse: the views read the latest anyway."""

    def __init__(self, metric_id: str) -> None:
        super().__init__()
        self.metric_id = metric_id

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, MetricUpdated) and message.metric_id == self.metric_id
