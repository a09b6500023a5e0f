"""The replay console: the main screen, read-only, with a time cursor and its timeline.

A cursor move folds the log in a worker thread (a fraction of a second on a long log),
one fold at a time: keys pressed meanwhile only move the target, and when the fold ends
its state is shown and the newest target is folded next. A burst of keys so costs two
folds, not one per key, and ends at the last key's target; a key held down shows the
cursor moving at the pace of the folds instead of freezing until it is let go. The bar
says "moving…" meanwhile; states are applied here, on the views' thread. The growth
poll extends the recording in another thread; the recording's lock keeps them apart.
"""

from __future__ import annotations

from functools import partial
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.worker import Worker, WorkerState, get_current_worker

from tminus.engine.console import ConsoleEngine
from tminus.engine.recording import Stopped
from tminus.engine.replay import Moment, ReplayController
from tminus.ui.keys import CONSOLE_BINDINGS, REPLAY_BINDINGS
from tminus.ui.screens.main import MainScreen
from tminus.ui.widgets.metric_panel import MetricPanel
from tminus.ui.widgets.metrics_strip import MetricsStrip
from tminus.ui.widgets.rollback_view import RollbackView
from tminus.ui.widgets.scoreboard import Scoreboard
from tminus.ui.widgets.timeline_bar import TimelineBar
from tminus.ui.widgets.trigger_banner import TriggerBanner

GROWTH_POLL = 1.0  # seconds: a session still being written grows under the replay
MOVES = "replay-move"  # the worker group of cursor moves


class ReplayScreen(MainScreen):
    BINDINGS: ClassVar[list[BindingType]] = [*REPLAY_BINDINGS, *CONSOLE_BINDINGS]

    def __init__(self, engine: ConsoleEngine, controller: ReplayController) -> None:
        super().__init__(engine)
        self.controller = controller
        self._folding: Worker[Moment | None] | None = None  # the one fold under way

    def compose(self) -> ComposeResult:
        yield from super().compose()
        yield TimelineBar(self.controller, id="timeline-bar")

    def on_mount(self) -> None:
        super().on_mount()
        self.controller.subscribe(self.show_cursor)
        self.controller.go = self.start_move
        self.set_interval(GROWTH_POLL, self._grow)

    async def _grow(self) -> None:
        import asyncio

        # the file read happens off the event loop (under the recording's lock); the
        # move to the new end is a worker like any other
        from tminus.engine.recording import extend

        at_end = self.controller.target == self.controller.rec.count
        size = self.controller.rec.path.stat().st_size
        if size <= self.controller.rec.size:
            return
        added = await asyncio.to_thread(extend, self.controller.rec)
        if added:
            if at_end:
                self.controller.end()
            else:
                self.query_one(TimelineBar).refresh_bar()

    # ------------------------------------------------------------ moves
    def start_move(self, cursor: int) -> None:
        """Aim at `cursor`; a fold starts now unless one is under way (the newest
        target is folded when it ends)."""
        c = self.controller
        c.aim(cursor)
        if self._folding is None and c.moving:
            self._fold_to(c.target)
        self.query_one(TimelineBar).refresh_bar()

    def _fold_to(self, target: int) -> None:
        self._folding = self.run_worker(
            partial(self._compute, target),
            name=f"replay move to {target}",
            group=MOVES,
            thread=True,
            exit_on_error=False,
        )

    def _compute(self, target: int) -> Moment | None:
        """In the worker's thread: the moment at `target`, or None when the worker was
        cancelled (the console closing) before the fold ended."""
        worker = get_current_worker()
        try:
            return self.controller.compute(target, stop=lambda: worker.is_cancelled)
        except Stopped:
            return None

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker, c = event.worker, self.controller
        if worker is not self._folding or not worker.is_finished:
            return
        self._folding = None
        if event.state == WorkerState.ERROR:
            c.aim(c.cursor)  # stay where it is, and say why
            self.notify(f"replay: could not move the cursor: {worker.error}", severity="error")
            self.query_one(TimelineBar).refresh_bar()
            return
        moment = worker.result if event.state == WorkerState.SUCCESS else None
        if isinstance(moment, Moment):
            # an older target's moment is still a true one: shown while the newest folds
            # (a key held down shows the cursor moving, not a frozen screen)
            c.apply(moment)
        if c.moving:
            self._fold_to(c.target)
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
