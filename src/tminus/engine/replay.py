"""Replay: a read-only console engine whose state is the fold of the log up to a cursor.

The cursor counts events: 0 is before the first, `count` is after the last. Every move
recomputes the state at the cursor (from the nearest checkpoint) and copies it into the
engine's one `SessionState` object, so every view that reads `engine.state` shows the
moment under the cursor. Metrics are the recorded `metric.sample` events up to it.

A move has two halves: `compute` (the fold, a fraction of a second on a long log; any
thread, it reads the recording under its lock) and `apply` (the copy into the engine,
on the thread that owns the views). `target` is the newest cursor asked for: the keys
move it at once, so a burst of them adds up, and a console folds one target at a time,
the newest next.
`go` is how the keys' moves are made: at once by default; a console sets it to start
its worker.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from tminus.core.clock import FrozenClock
from tminus.core.durations import format_tminus
from tminus.core.records import record
from tminus.engine.console import ConsoleEngine
from tminus.engine.history import MetricSeries
from tminus.engine.recording import Recording, extend, is_decision, tminus_seconds
from tminus.engine.session import iso
from tminus.engine.state import SessionState
from tminus.plan.model import Plan

Listener = Callable[[], None]


def clock_at(rec: Recording, plan: Plan, wall: float) -> datetime:
    """The console's launch time at a wall-clock instant of the recording."""
    secs = tminus_seconds(rec.final, iso(datetime.fromtimestamp(wall, UTC)))
    if secs is None:
        return datetime.fromtimestamp(wall, UTC)
    from datetime import timedelta

    return plan.launch.t0 + timedelta(seconds=secs)


@record(frozen=True)
class Moment:
    """What the console shows at a cursor, computed off the views' thread."""

    cursor: int
    state: SessionState
    series: dict[str, MetricSeries]


class ReplayController:
    def __init__(self, rec: Recording, engine: ConsoleEngine) -> None:
        self.rec = rec
        self.engine = engine
        self.cursor = rec.count  # the moment shown
        self.target = rec.count  # the newest one asked for (the cursor when none is pending)
        self.computed = 0  # moves computed to the end (a burst of keys computes fewer)
        self._listeners: list[Listener] = []
        assert isinstance(engine.clock, FrozenClock)
        self.clock: FrozenClock = engine.clock
        poller = engine.poller
        # read here, on the views' thread: the fold's thread never touches the poller
        self._capacities = (
            {m: s.capacity for m, s in poller.series.items()} if poller is not None else {}
        )
        self.go: Callable[[int], None] = self.move_to
        self._decisions: list[int] = []  # indices of the decision events among the first
        self._scanned = 0  # ... this many

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    # ------------------------------------------------------------ where
    @property
    def time(self) -> float | None:
        """Wall time of the last event under the cursor."""
        return self.rec.time_at(self.cursor)

    @property
    def moving(self) -> bool:
        return self.target != self.cursor

    def label(self) -> str:
        if self.moving:
            return f"moving to event {self.target}/{self.rec.count}…"
        if self.cursor == 0 or self.rec.count == 0:
            return f"before the first event · 0/{self.rec.count}"
        secs = tminus_seconds(self.rec.final, iso(datetime.fromtimestamp(self.time or 0, UTC)))
        when = format_tminus(secs) if secs is not None else ""
        kind = self.rec.types[self.cursor - 1]
        return f"{when} · event {self.cursor}/{self.rec.count} · {kind}"

    def fraction(self) -> float:
        """Where the cursor is in time, 0..1, for the timeline bar."""
        if self.rec.count < 2 or self.cursor == 0:
            return 0.0
        first, last = self.rec.times[0], self.rec.times[self.rec.count - 1]
        return 1.0 if last <= first else ((self.time or first) - first) / (last - first)

    def decision_fractions(self) -> list[float]:
        """Where the decisions are on the bar. The bar is redrawn on every key: the
        decisions' indices are found once (and on the events appended since), not in
        a pass over every event's type each time (0.1 to 0.2 s at a week)."""
        count = self.rec.count
        if count < 2:
            return []
        types = self.rec.types
        self._decisions += [i for i in range(self._scanned, count) if is_decision(types[i])]
        self._scanned = count
        times = self.rec.times
        first, last = times[0], times[count - 1]
        span = (last - first) or 1.0
        return [(times[i] - first) / span for i in self._decisions]

    # ------------------------------------------------------------ moves
    def aim(self, cursor: int) -> int:
        """Make `cursor` (within the recording) the target; returns it."""
        self.target = max(0, min(cursor, self.rec.count))
        return self.target

    def compute(self, cursor: int, stop: Callable[[], bool] | None = None) -> Moment:
        """The state and the metric series at `cursor`; any thread. `stop` gives the fold
        up (raises Stopped) once nobody waits for it (the console closing)."""
        with self.rec.lock:  # the state and the series of the same recording
            state = self.rec.state_at(cursor, stop)
            series = {
                m: self.rec.series_at(m, cursor, capacity)
                for m, capacity in self._capacities.items()
            }
            self.computed += 1
        return Moment(cursor, state, series)

    def apply(self, moment: Moment) -> None:
        """Show `moment`: on the views' thread."""
        self.cursor = moment.cursor
        # one state object shared by every view: copy the moment into it
        self.engine.state.__dict__.update(moment.state.__dict__)
        if self.time is not None:
            at = self.time
            self.clock.set(clock_at(self.rec, self.engine.plan, at))
            self.engine.wall_now = lambda: datetime.fromtimestamp(at, UTC)
        poller = self.engine.poller
        if poller is not None:
            poller.series.update(moment.series)
        for listener in list(self._listeners):
            listener()

    def move_to(self, cursor: int) -> None:
        """Move at once, on this thread (start-up, headless use)."""
        self.apply(self.compute(self.aim(cursor)))

    def step(self, n: int) -> None:
        self.go(self.target + n)

    def jump_minutes(self, minutes: float) -> None:
        """Move by launch-clock minutes (a demo at speed 60 moves 1 s of wall time)."""
        at = self.rec.time_at(self.target)
        base = at if at is not None else (self.rec.times[0] if self.rec.count else 0)
        speed = self.rec.final.speed or 1.0
        target = base + minutes * 60 / speed
        if minutes > 0:
            self.go(max(self.target + 1, self.rec.at_time(target)))
        else:
            self.go(min(self.target - 1, self.rec.at_time(target)))

    def next_decision(self, direction: int) -> None:
        self.go(self.rec.next_decision(self.target, direction))

    def home(self) -> None:
        self.go(0)

    def end(self) -> None:
        self.go(self.rec.count)

    def poll_growth(self) -> int:
        """Events the writer appended since; a cursor at the end follows them."""
        at_end = self.target == self.rec.count
        added = extend(self.rec)
        if added and at_end:
            self.go(self.rec.count)
        elif added:
            for listener in list(self._listeners):
                listener()
        return added
