"""The Rollback tab: the triggers with their live state and the plan's steps with their
status. Arming and running happen on the rollback screen (x)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from tminus.engine.console import ConsoleEngine
from tminus.ui.widgets.rollback_steps import RollbackSteps
from tminus.ui.widgets.trigger_states import TriggerStates


class RollbackView(VerticalScroll):
    DEFAULT_CSS = """
    RollbackView { padding: 0 1; }
    RollbackView RollbackSteps { margin-top: 1; }
    RollbackView .hint { color: $text-muted; margin-top: 1; }
    """

    def __init__(self, engine: ConsoleEngine, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.engine = engine

    def compose(self) -> ComposeResult:
        yield TriggerStates(self.engine)
        yield RollbackSteps(self.engine)
        yield Static("x opens the rollback screen: arm, run, dry run, triggers.", classes="hint")

    def refresh_view(self) -> None:
        for states in self.query(TriggerStates):
            states.refresh_states()
