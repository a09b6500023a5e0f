"""Checks that keep watching: items with `every` re-run on that interval while their
phase is current (the last phase whose `at` has come), Gatus-style.

A check that passed once is not evidence during the launch window. Watching shares the
runner's concurrency bound, never starts an item that is still running, and writes to
the session log at a bounded rate: a watched result is recorded when its outcome changes,
and otherwise at most once per `settings.sample_every`. Every result, recorded or not,
goes into a short in-memory history per item: the pattern of a flapping check.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime

from tminus.core.clock import Clock
from tminus.core.records import record
from tminus.core.results import CheckResult, Outcome
from tminus.engine.runner import CheckRunner
from tminus.engine.state import SessionState
from tminus.plan.model import Phase, Plan

WATCH_HISTORY = 20  # results kept per watched item: one history bar
TICK = 0.25  # real seconds between looks at what is due; comparing numbers costs nothing
log = logging.getLogger(__name__)

Listener = Callable[[str], None]  # item id whose watch history changed


def current_phase(plan: Plan, now: datetime) -> Phase | None:
    """The phase whose time has come most recently (the first one before any has)."""
    if not plan.phases:
        return None
    since_t0 = now - plan.launch.t0
    started = [p for p in plan.phases if p.at <= since_t0]
    return max(started, key=lambda p: p.at) if started else plan.phases[0]


@record(frozen=True)
class Beat:
    """One result in the history bar: when (unix wall time) and how it went."""

    at: float
    outcome: Outcome


class Watcher:
    def __init__(
        self,
        plan: Plan,
        runner: CheckRunner,
        state: SessionState,
        clock: Clock,
        wall_now: Callable[[], datetime] | None = None,
    ) -> None:
        self.plan = plan
        self.wall_now = wall_now or (lambda: datetime.now(UTC))  # event time, like the log's
        self.runner = runner
        self.state = state
        self.clock = clock
        self.history: dict[str, deque[Beat]] = {}
        self.last_run: dict[str, float] = {}  # clock.monotonic() of the last watched start
        # newest result per item, logged or not, with its wall time (as the log's ts)
        self.latest: dict[str, tuple[datetime, CheckResult]] = {}
        self._logged: dict[str, tuple[float, Outcome | None]] = {}  # when and what was last written
        self._in_flight: set[str] = set()
        self._recorded_now: set[str] = set()  # decided to record; the listener comes next
        self._task: asyncio.Task[None] | None = None
        self._runs: set[asyncio.Task[object]] = set()
        self._listeners: list[Listener] = []
        self.runs_done = 0
        self.records_written = 0
        self._seed_from_state()

    # ------------------------------------------------------------ what is watched
    def watched(self, phase: Phase | None = None) -> dict[str, float]:
        """Item id -> interval in seconds, for the current phase (or `phase`)."""
        phase = phase or current_phase(self.plan, self.clock.now())
        if phase is None:
            return {}
        out = {}
        for _, item in phase.items():
            every = phase.watch_every(item)
            if every is not None:
                out[item.id] = every.total_seconds()
        return out

    def is_watched(self, item_id: str) -> bool:
        phase, _, item = self.plan.item(item_id)
        return phase.watch_every(item) is not None

    def pass_ratio(self, item_id: str) -> tuple[int, int]:
        beats = self.history.get(item_id, ())
        return sum(1 for b in beats if b.outcome.ok), len(beats)

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    # ------------------------------------------------------------ history
    def _seed_from_state(self) -> None:
        # a resumed session: the bar starts with what the log kept
        for item_id, st in self.state.items.items():
            for ts, result in st.history:
                self._beat(item_id, _stamp(ts), result.outcome)

    def _beat(self, item_id: str, at: float, outcome: Outcome) -> None:
        beats = self.history.get(item_id)
        if beats is None:
            beats = self.history[item_id] = deque(maxlen=WATCH_HISTORY)
        beats.append(Beat(at, outcome))

    def observe_recorded(self, item_id: str, ts: str, result: CheckResult) -> None:
        """A check.finished from the log (a person's run, or a recorded watched run)."""
        self._beat(item_id, _stamp(ts), result.outcome)
        self._logged[item_id] = (self.clock.monotonic(), result.outcome)
        self._notify(item_id)

    # ------------------------------------------------------------ running
    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop(), name="watch")

    async def stop(self) -> None:
        tasks = [t for t in (self._task, *self._runs) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._task = None
        self._runs.clear()

    def due(self) -> list[str]:
        now = self.clock.monotonic()
        out = []
        for item_id, every in self.watched().items():
            st = self.state.items.get(item_id)
            if item_id in self._in_flight or (st is not None and st.running):
                continue
            last = self.last_run.get(item_id)
            if last is None or now - last >= every:
                out.append(item_id)
        return out

    def kick(self) -> list[str]:
        """Start every due re-run in the background; returns their ids."""
        ids = self.due()
        if not ids:
            return []
        now = self.clock.monotonic()
        for item_id in ids:
            self.last_run[item_id] = now
        self._in_flight.update(ids)
        task: asyncio.Task[object] = asyncio.get_running_loop().create_task(self._run(ids))
        self._runs.add(task)
        task.add_done_callback(self._runs.discard)
        return ids

    async def _run(self, ids: list[str]) -> None:
        try:
            await self.runner.run(ids, record=self._should_record, listener=self._heard)
        except Exception:  # one bad re-run must not stop the watching
            log.exception("watched re-run failed")
        finally:
            self._in_flight.difference_update(ids)

    async def _loop(self) -> None:
        while True:
            self.kick()
            await asyncio.sleep(TICK)

    def _should_record(self, item_id: str, result: CheckResult) -> bool:
        now = self.clock.monotonic()
        logged = self.state.items.get(item_id)
        first = (float("-inf"), logged.last.outcome if logged and logged.last else None)
        at, outcome = self._logged.get(item_id, first)
        every = self.plan.settings.sample_every.total_seconds()
        if result.outcome is outcome and now - at < every:
            return False
        self._logged[item_id] = (now, result.outcome)
        self._recorded_now.add(item_id)
        return True

    def _heard(self, item_id: str, result: CheckResult | None) -> None:
        if result is None:
            return
        self.runs_done += 1
        now = self.wall_now()
        self.latest[item_id] = (now, result)
        if item_id in self._recorded_now:
            self._recorded_now.discard(item_id)
            self.records_written += 1
            return  # its check.finished event brings it into the history
        self._beat(item_id, now.timestamp(), result.outcome)
        self._notify(item_id)

    def _notify(self, item_id: str) -> None:
        for listener in list(self._listeners):
            listener(item_id)


def _stamp(ts: str) -> float:
    return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()
