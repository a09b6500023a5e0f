"""The replay console: the main screen, read-only, with a time cursor and its timeline."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType

from tminus.engine.console import ConsoleEngine
from tminus.engine.replay import ReplayController
from tminus.ui.keys import CONSOLE_BINDINGS, REPLAY_BINDINGS
from tminus.ui.screens.main import MainScreen
from tminus.ui.widgets.metric_panel import MetricPanel
from tminus.ui.widgets.metrics_strip import MetricsStrip
from tminus.ui.widgets.rollback_view import RollbackView
from tminus.ui.widgets.scoreboard import Scoreboard
from tminus.ui.widgets.timeline_bar import TimelineBar
from tminus.ui.widgets.trigger_banner import TriggerBanner

GROWTH_POLL = 1.0  # seconds: a session still being written grows under the replay


class ReplayScreen(MainScreen):
    BINDINGS: ClassVar[list[BindingType]] = [*REPLAY_BINDINGS, *CONSOLE_BINDINGS]

    def __init__(self, engine: ConsoleEngine, controller: ReplayController) -> None:
        super().__init__(engine)
        self.controller = controller

    def compose(self) -> ComposeResult:
        yield from super().compose()
        yield TimelineBar(self.controller, id="timeline-bar")

    def on_mount(self) -> None:
        super().on_mount()
        self.controller.subscribe(self.show_cursor)
        self.set_interval(GROWTH_POLL, self._grow)

    async def _grow(self) -> None:
        import asyncio

        # the file read happens off the event loop; the fold and redraw happen here
        from tminus.engine.recording import extend

        at_end = self.controller.cursor == self.controller.rec.count
        size = self.controller.rec.path.stat().st_size
        if size <= self.controller.rec.size:
            return
        added = await asyncio.to_thread(extend, self.controller.rec)
        if added:
            if at_end:
                self.controller.end()
            else:
                self.query_one(TimelineBar).refresh_bar()

    def show_cursor(self) -> None:
        """Every view redraws from the state at the cursor (each only where text changed)."""
        for view in self.phase_views.values():
            for _, item in view.phase.items():
                if view.is_mounted:
                    view.refresh_item(item.id)
            if view.is_mounted:
                view.refresh_status()
        for rollback in self.query(RollbackView):
            rollback.refresh_view()
        self.query_one(TriggerBanner).refresh_banner()
        for panel in self.query(MetricPanel):
            panel.refresh_metric()
        for board in self.query(Scoreboard):
            board.refresh_scores()
        for strip in self.query(MetricsStrip):
            strip.refresh_metrics()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action.startswith("replay_"):
            from textual.widgets import Input

            return not isinstance(self.focused, Input)  # typing a filter keeps its keys
        return super().check_action(action, parameters)

    def action_replay_step(self, n: int) -> None:
        self.controller.step(n)

    def action_replay_minutes(self, n: int) -> None:
        self.controller.jump_minutes(n)

    def action_replay_decision(self, direction: int) -> None:
        self.controller.next_decision(direction)

    def action_replay_home(self) -> None:
        self.controller.home()

    def action_replay_end(self) -> None:
        self.controller.end()
