"""Metric history in bounded plain-data buffers, outside any widget.

Memory does not grow with session length: each metric keeps at most `capacity` points.
"""

from __future__ import annotations

import time
from dataclasses import field
from datetime import datetime

from tminus.core.records import record
from tminus.core.ring import PointRing
from tminus.core.series import SeriesValue

DEFAULT_CAPACITY = 1440  # a day of one-minute points, or two hours of five-second ones


@record
class MetricSeries:
    """What the views need for one metric: recent points, and how fresh they are."""

    metric_id: str
    capacity: int = DEFAULT_CAPACITY
    points: PointRing = field(default_factory=PointRing)  # (unix time, value), compact
    last_value: float | None = None
    last_ok: datetime | None = None  # launch time of the last value
    received: float | None = None  # time.monotonic() when it arrived: staleness is real time
    state: str = "waiting"  # waiting, value, no_data, error
    error: str = ""
    errors_in_a_row: int = 0
    version: int = 0  # bumped on every change: views redraw only when it moved
    latest: tuple[SeriesValue, ...] = ()  # every series of the last answer, sorted by labels
    condition_error: str = ""  # a trigger or range condition that failed to evaluate

    def __post_init__(self) -> None:
        self.points = PointRing(self.points, maxlen=self.capacity)

    def add(
        self, at: datetime, value: float, samples: tuple[SeriesValue, ...] | None = None
    ) -> None:
        """A new answer: `value` is the number the history keeps (the worst series)."""
        self.latest = samples if samples is not None else (SeriesValue((), value),)
        self.points.append((at.timestamp(), value))
        self.last_value = value
        self.last_ok = at
        self.received = time.monotonic()
        self.state = "value"
        self.error = ""
        self.errors_in_a_row = 0
        self.version += 1

    def backfill(self, points: list[tuple[float, float]]) -> None:
        """History from a range query, merged before the live points."""
        live = list(self.points)
        first_live = live[0][0] if live else float("inf")
        merged = [p for p in points if p[0] < first_live] + live
        self.points = PointRing(merged, maxlen=self.capacity)
        if self.last_value is None and merged:
            self.last_value = merged[-1][1]
        self.version += 1

    def no_data(self) -> None:
        self.latest = ()
        self.state = "no_data"
        self.error = ""
        self.errors_in_a_row = 0
        self.version += 1

    def failed(self, message: str) -> None:
        self.state = "error"
        self.error = message
        self.errors_in_a_row += 1
        self.version += 1

    def age(self) -> float | None:
        """Real seconds since the last value arrived (a demo clock may run faster)."""
        return None if self.received is None else time.monotonic() - self.received

    def values_since(self, since: float) -> list[float]:
        return [v for t, v in self.points if t >= since]
