"""Launch name, environment badge, live T-minus clock, the rollback badge (armed, rolled back,
aborted: first, as the most urgent), DEMO badge, the rollout (weight, step, bake, gate),
READ-ONLY badge, session id. Under 100 columns the DEMO badge drops the scenario's name so
both the rollback and the rollout status still fit at 80.

Only the clock ticks, and it is its own widget (`tminus_clock.py`), so a second's update
repaints a dozen cells, not the header.
"""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from tminus.engine.console import ConsoleEngine
from tminus.ui.markup import escape
from tminus.ui.widgets.comms_state import CommsState
from tminus.ui.widgets.rollback_badge import RollbackBadge
from tminus.ui.widgets.rollout_status import WIDE, RolloutStatus
from tminus.ui.widgets.tminus_clock import TMinusClock


class LaunchHeader(Horizontal):
    DEFAULT_CSS = """
    LaunchHeader { height: 1; background: $panel; }
    LaunchHeader > Static { width: auto; padding: 0 1; }
    LaunchHeader #launch-name { text-style: bold; }
    LaunchHeader .env { background: $secondary; color: $background; text-style: bold; }
    LaunchHeader .env-production { background: $env-production; color: $env-production-text; }
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
        yield Static(escape(launch.name), id="launch-name")
        env = launch.environment
        classes = "env env-production" if env.lower().startswith("prod") else "env"
        yield Static(escape(env.upper()), id="environment", classes=classes)
        yield TMinusClock(self.engine, id="tminus-clock")
        yield RollbackBadge(self.engine, id="rollback-badge")
        if self.engine.plan.backends.demo is not None:
            # a screenshot of the demo is never mistaken for production
            yield Static(self._demo_text(), id="demo-badge")
        if self.engine.rollout is not None:
            yield RolloutStatus(self.engine, id="rollout-status")
        if self.engine.read_only:
            yield Static("READ-ONLY", id="read-only")
        yield Static("", id="spacer")
        if self.engine.plan.comms.notify:
            yield CommsState(self.engine, id="comms-state")
        sid = (
            self.engine.session.session_id if self.engine.session else self.engine.state.session_id
        )
        yield Static(sid or "no session", id="session-id")

    def _demo_text(self) -> str:
        demo = self.engine.plan.backends.demo
        if demo is None or self.app.size.width < WIDE:
            return "DEMO"
        return f"DEMO {demo.scenario}"

    def on_resize(self, event: events.Resize) -> None:
        for badge in self.query("#demo-badge").results(Static):
            badge.update(self._demo_text())
