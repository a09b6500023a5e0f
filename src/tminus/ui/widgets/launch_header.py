"""Launch name, environment badge, live T-minus clock, DEMO badge, the rollout (weight, step,
bake, gate), session id, READ-ONLY badge.

Only the clock ticks, and it is its own widget (`tminus_clock.py`), so a second's update
repaints a dozen cells, not the header.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from tminus.engine.console import ConsoleEngine
from tminus.ui.widgets.comms_state import CommsState
from tminus.ui.widgets.rollback_badge import RollbackBadge
from tminus.ui.widgets.rollout_status import RolloutStatus
from tminus.ui.widgets.tminus_clock import TMinusClock


class LaunchHeader(Horizontal):
    DEFAULT_CSS = """
    LaunchHeader { height: 1; background: $panel; }
    LaunchHeader > Static { width: auto; padding: 0 1; }
    LaunchHeader #launch-name { text-style: bold; }
    LaunchHeader .env { background: $secondary; color: $background; text-style: bold; }
    LaunchHeader .env-production { background: $env-production; color: white; }
    LaunchHeader #tminus-clock { text-style: bold; color: $accent; }
    LaunchHeader #session-id { color: $text-muted; }
    LaunchHeader #read-only { background: $warning; color: $background; text-style: bold; }
    LaunchHeader #demo-badge { background: $accent; color: $background; text-style: bold; }
    LaunchHeader #spacer { width: 1fr; padding: 0; }
    """

    def __init__(self, engine: ConsoleEngine, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.engine = engine

    def compose(self) -> ComposeResult:
        launch = self.engine.plan.launch
        yield Static(launch.name, id="launch-name")
        env = launch.environment
        classes = "env env-production" if env.lower().startswith("prod") else "env"
        yield Static(env.upper(), id="environment", classes=classes)
        yield TMinusClock(self.engine, id="tminus-clock")
        demo = self.engine.plan.backends.demo
        if demo is not None:  # a screenshot of the demo is never mistaken for production
            yield Static(f"DEMO {demo.scenario}", id="demo-badge")
        if self.engine.rollout is not None:
            yield RolloutStatus(self.engine, id="rollout-status")
        if self.engine.read_only:
            yield Static("READ-ONLY", id="read-only")
        yield RollbackBadge(self.engine, id="rollback-badge")
        yield Static("", id="spacer")
        if self.engine.plan.comms.notify:
            yield CommsState(self.engine, id="comms-state")
        sid = (
            self.engine.session.session_id if self.engine.session else self.engine.state.session_id
        )
        yield Static(sid or "no session", id="session-id")
