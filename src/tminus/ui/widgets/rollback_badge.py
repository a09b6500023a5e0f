"""The header's rollback badge: ROLLBACK ARMED, ROLLED BACK or ROLLBACK ABORTED."""

from __future__ import annotations

from textual.widgets import Static

from tminus.engine.console import ConsoleEngine
from tminus.engine.session import Event
from tminus.ui.signals import signals

BADGES = {
    "armed": ("ROLLBACK ARMED", "armed"),
    "completed": ("ROLLED BACK", "rolled-back"),
    "aborted": ("ROLLBACK ABORTED", "aborted"),
}


class RollbackBadge(Static):
    DEFAULT_CSS = """
    RollbackBadge { display: none; width: auto; padding: 0 1; text-style: bold; }
    RollbackBadge.armed, RollbackBadge.aborted { display: block; background: $error; color: $text; }
    RollbackBadge.rolled-back { display: block; background: $warning; color: $background; }
    """

    def __init__(self, engine: ConsoleEngine, **kw: object) -> None:
        super().__init__("", **kw)  # type: ignore[arg-type]
        self.engine = engine
        self._phase = ""

    def on_mount(self) -> None:
        self.refresh_badge()
        signals(self).session_signal.subscribe(self, self._on_event)

    def _on_event(self, event: Event) -> None:
        if event.type.startswith("rollback."):
            self.refresh_badge()

    def refresh_badge(self) -> None:
        phase = self.engine.state.rollback.phase
        if phase == self._phase:
            return
        self._phase = phase
        text, cls = BADGES.get(phase, ("", ""))
        self.update(text)
        self.set_classes(cls)
