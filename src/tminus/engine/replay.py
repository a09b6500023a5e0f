"""Replay: a read-only console engine whose state is the fold of the log up to a cursor.

The cursor counts events: 0 is before the first, `count` is after the last. Every move
recomputes the state at the cursor (from the nearest checkpoint) and copies it into the
engine's one `SessionState` object, so every view that reads `engine.state` shows the
moment under the cursor. Metrics are the recorded `metric.sample` events up to it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from tminus.core.clock import FrozenClock
from tminus.core.durations import format_tminus
from tminus.engine.console import ConsoleEngine
from tminus.engine.recording import Recording, extend, is_decision, tminus_seconds
from tminus.engine.session import iso
from tminus.plan.model import Plan

Listener = Callable[[], None]


def clock_at(rec: Recording, plan: Plan, wall: float) -> datetime:
    """The console's launch time at a wall-clock instant of the recording."""
    secs = tminus_seconds(rec.final, iso(datetime.fromtimestamp(wall, UTC)))
    if secs is None:
        return datetime.fromtimestamp(wall, UTC)
    from datetime import timedelta

    return plan.launch.t0 + timedelta(seconds=secs)


class ReplayController:
    def __init__(self, rec: Recording, engine: ConsoleEngine) -> None:
        self.rec = rec
        self.engine = engine
        self.cursor = rec.count
        self._listeners: list[Listener] = []
        assert isinstance(engine.clock, FrozenClock)
        self.clock: FrozenClock = engine.clock

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    # ------------------------------------------------------------ where
    @property
    def time(self) -> float | None:
        """Wall time of the last event under the cursor."""
        return self.rec.times[self.cursor - 1] if self.cursor > 0 else None

    def label(self) -> str:
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
        first, last = self.rec.times[0], self.rec.times[-1]
        return 1.0 if last <= first else ((self.time or first) - first) / (last - first)

    def decision_fractions(self) -> list[float]:
        """Where the decisions are on the bar."""
        if self.rec.count < 2:
            return []
        first, last = self.rec.times[0], self.rec.times[-1]
        span = (last - first) or 1.0
        return [
            (self.rec.times[i] - first) / span
            for i, t in enumerate(self.rec.types)
            if is_decision(t)
        ]

    # ------------------------------------------------------------ moves
    def move_to(self, cursor: int) -> None:
        cursor = max(0, min(cursor, self.rec.count))
        self.cursor = cursor
        fresh = self.rec.state_at(cursor)
        # one state object shared by every view: copy the moment into it
        self.engine.state.__dict__.update(fresh.__dict__)
        if self.time is not None:
            at = self.time
            self.clock.set(clock_at(self.rec, self.engine.plan, at))
            self.engine.wall_now = lambda: datetime.fromtimestamp(at, UTC)
        poller = self.engine.poller
        if poller is not None:
            for metric_id, series in list(poller.series.items()):
                poller.series[metric_id] = self.rec.series_at(metric_id, cursor, series.capacity)
        for listener in list(self._listeners):
            listener()

    def step(self, n: int) -> None:
        self.move_to(self.cursor + n)

    def jump_minutes(self, minutes: float) -> None:
        """Move by launch-clock minutes (a demo at speed 60 moves 1 s of wall time)."""
        base = self.time if self.time is not None else (self.rec.times[0] if self.rec.count else 0)
        speed = self.rec.final.speed or 1.0
        target = base + minutes * 60 / speed
        if minutes > 0:
            self.move_to(max(self.cursor + 1, self.rec.at_time(target)))
        else:
            self.move_to(min(self.cursor - 1, self.rec.at_time(target)))

    def next_decision(self, direction: int) -> None:
        self.move_to(self.rec.next_decision(self.cursor, direction))

    def home(self) -> None:
        self.move_to(0)

    def end(self) -> None:
        self.move_to(self.rec.count)

    def poll_growth(self) -> int:
        """Events the writer appended since; a cursor at the end follows them."""
        at_end = self.cursor == self.rec.count
        added = extend(self.rec)
        if added and at_end:
            self.move_to(self.rec.count)
        elif added:
            for listener in list(self._listeners):
                listener()
        return added
