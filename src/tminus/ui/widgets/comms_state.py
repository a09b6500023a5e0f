"""The header's notification channels: one mark per channel, from the session log's
notify.sent / notify.failed events, so a follower shows the same state as the writer."""

from __future__ import annotations

from textual.widgets import Static

from tminus.engine.console import ConsoleEngine
from tminus.engine.session import Event
from tminus.ui.markup import escape

MARKS = {"idle": "·", "ok": "✔", "retrying": "⟳", "failed": "✘"}
STYLES = {"ok": "$success", "retrying": "$warning", "failed": "$error"}


def comms_text(engine: ConsoleEngine) -> str:
    channels = engine.plan.comms.notify
    if not channels:
        return ""
    parts = []
    for ch in channels:
        st = engine.state.notify.get(ch.name)
        status = st.status if st is not None else "idle"
        mark = MARKS.get(status, "?")
        style = STYLES.get(status)
        text = f"{escape(ch.name)} {mark}"
        parts.append(f"[{style}]{text}[/]" if style else text)
    return "✉ " + " ".join(parts)


class CommsState(Static):
    """Redrawn only on notify events whose text changes what the header says."""

    DEFAULT_CSS = "CommsState { width: auto; padding: 0 1; }"

    def __init__(self, engine: ConsoleEngine, **kw: object) -> None:
        super().__init__("", **kw)  # type: ignore[arg-type]
        self.engine = engine
        self._text = ""

    def on_mount(self) -> None:
        self.refresh_state()
        self.app.session_signal.subscribe(self, self._on_event)  # type: ignore[attr-defined]

    def _on_event(self, event: Event) -> None:
        if event.type.startswith("notify."):
            self.refresh_state()

    def refresh_state(self) -> None:
        text = comms_text(self.engine)
        if text != self._text:
            relayout = len(text) != len(self._text)
            self._text = text
            self.update(text, layout=relayout)
