"""Polls the plan's metrics and keeps their history; feeds the trigger watcher.

Each metric has its own loop: a poll re-arms only after the previous one finished, errors
back off (doubling up to a minute) and show as errors, never as a zero. Samples go to the
session log at a bounded rate: one per metric per `sample_every`, and every sample while
a trigger on that metric fires.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from tminus.backends.base import BackendError, MetricsBackend
from tminus.core.clock import Clock
from tminus.engine.history import MetricSeries
from tminus.engine.session import iso
from tminus.plan.model import Metric, Plan

if TYPE_CHECKING:
    from tminus.engine.session import SessionWriter

MAX_BACKOFF = 60.0
BACKFILL = timedelta(minutes=15)

Listener = Callable[[str], None]  # metric id


@dataclass(frozen=True)
class Poll:
    """One query the poller keeps fresh: a [[metrics]] entry or a criterion's own query."""

    id: str
    query: str
    interval: float
    record: bool = True  # write metric.sample events


def metric_state(
    metric: Metric, series: MetricSeries, stale_after: float, age: float | None
) -> str:
    """ok / warn / bad by the plan's ranges, or no_data / error / stale / waiting."""
    if series.state in ("error", "no_data", "waiting") and series.last_value is None:
        return series.state
    if series.state == "error":
        return "error"
    if series.state == "no_data":
        return "no_data"
    if age is not None and age > stale_after:
        return "stale"
    value = series.last_value
    if value is None or math.isnan(value):
        return "no_data"
    values = {"value": value}
    if metric.ok is None:
        return "ok"
    if metric.ok.evaluate(values):
        return "ok"
    if metric.warn is not None and metric.warn.evaluate(values):
        return "warn"
    return "bad"


class MetricsPoller:
    def __init__(
        self,
        plan: Plan,
        backend: MetricsBackend,
        clock: Clock,
        *,
        session: SessionWriter | None = None,
        interval: float | None = None,
        extra: list[Poll] | None = None,
        firing: Callable[[str], bool] | None = None,
        after_poll: Callable[[MetricSeries], Awaitable[None]] | None = None,
    ) -> None:
        self.plan = plan
        self.backend = backend
        self.clock = clock
        self.session = session
        default = interval or plan.settings.poll_interval.total_seconds()
        self.polls = [
            Poll(m.id, m.query, m.interval.total_seconds() if m.interval else default)
            for m in plan.metrics
        ] + list(extra or [])
        self.series: dict[str, MetricSeries] = {p.id: MetricSeries(p.id) for p in self.polls}
        self._listeners: list[Listener] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._last_recorded: dict[str, float] = {}
        self._sample_every = plan.settings.sample_every.total_seconds()
        self._firing = firing or (lambda _metric: False)
        self._after_poll = after_poll  # the trigger watcher: judged before views redraw
        self.polls_done = 0

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        for poll in self.polls:
            self._tasks.append(loop.create_task(self._loop(poll), name=f"poll-{poll.id}"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    def stale_after(self, metric_id: str) -> float:
        poll = next(p for p in self.polls if p.id == metric_id)
        return max(3 * poll.interval, 15.0)

    async def backfill(self, poll: Poll) -> None:
        end = self.clock.now().timestamp()
        start = end - BACKFILL.total_seconds()
        step = max(poll.interval, BACKFILL.total_seconds() / 240)
        try:
            result = await self.backend.query_range(
                poll.query, start=start, end=end, step=step, timeout=self._timeout(poll)
            )
        except BackendError:
            return  # the live loop reports the error; history simply starts empty
        self.series[poll.id].backfill(list(result.points))
        self._notify(poll.id)

    def _timeout(self, poll: Poll) -> float:
        return max(2.0, min(10.0, poll.interval * 2))

    async def poll_once(self, poll: Poll) -> None:
        series = self.series[poll.id]
        try:
            result = await self.backend.query(poll.query, timeout=self._timeout(poll))
        except BackendError as exc:
            series.failed(f"{exc.kind}: {exc}")
        except Exception as exc:  # a bug in a backend must not stop the poller
            series.failed(f"internal error: {type(exc).__name__}: {exc}")
        else:
            if result.value is None:
                series.no_data()
            else:
                now = self.clock.now()
                series.add(now, result.value)
                if poll.record:
                    await self._record(poll.id, result.value, now)
        self.polls_done += 1
        if self._after_poll is not None:
            await self._after_poll(series)
        self._notify(poll.id)

    async def _loop(self, poll: Poll) -> None:
        await self.backfill(poll)
        while True:
            await self.poll_once(poll)
            series = self.series[poll.id]
            delay = poll.interval
            if series.state == "error":
                delay = min(poll.interval * 2 ** min(series.errors_in_a_row, 10), MAX_BACKOFF)
            # real seconds: the interval is about load on the metrics server, not launch time
            await asyncio.sleep(delay)

    async def _record(self, metric_id: str, value: float, at: datetime) -> None:
        if self.session is None or self.session.closed:
            return
        now = self.clock.monotonic()
        last = self._last_recorded.get(metric_id)
        if last is not None and now - last < self._sample_every and not self._firing(metric_id):
            return
        self._last_recorded[metric_id] = now
        # the reading's launch time, so a chart puts the logged and the live point together
        await self.session.emit("metric.sample", metric=metric_id, value=value, at=iso(at))

    def _notify(self, metric_id: str) -> None:
        for listener in list(self._listeners):
            listener(metric_id)
