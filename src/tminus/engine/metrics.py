"""Polls the plan's metrics and keeps their history; feeds the trigger watcher.

Each metric has its own loop: a poll re-arms only after the previous one finished, errors
back off (doubling up to a minute) and show as errors, never as a zero. Samples go to the
session log at a bounded rate: one per metric per `sample_every`, and every sample while
a trigger on that metric fires.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from tminus.backends.base import BackendError, MetricsBackend
from tminus.core.clock import Clock
from tminus.core.conditions import Condition, EvalError
from tminus.core.records import record
from tminus.core.series import SeriesValue, judge_series, reduce_series, worst
from tminus.engine.history import MetricSeries
from tminus.engine.session import iso
from tminus.plan.model import Metric, Plan

if TYPE_CHECKING:
    from tminus.engine.session import SessionWriter

logger = logging.getLogger(__name__)

MAX_BACKOFF = 60.0
# Queries in flight at once. Each carries its own deadline on the request itself, so a hung
# query holds one slot until its deadline and the others keep theirs.
MAX_CONCURRENT = 32

HEARTBEAT = 600.0  # seconds: a steady metric is still recorded this often
CHANGE = 0.01  # a relative change that counts as a move (1%)


def moved(before: float | None, after: float) -> bool:
    """Did the value change enough to record? 1% relative, or any change near zero."""
    if before is None or math.isnan(before) != math.isnan(after):
        return True
    if before == after:
        return False
    scale = max(abs(before), abs(after))
    return scale < 1e-9 or abs(after - before) / scale >= CHANGE


def on_grid(now: float, every: float) -> float:
    """Seconds from `now` to the next multiple of `every` (a full `every` if on one)."""
    return every - now % every


MIN_REAL_INTERVAL = 0.25  # real seconds: a fast demo clock still polls at most 4 times a second
BACKFILL = timedelta(minutes=15)

Listener = Callable[[str], None]  # metric id


@record(frozen=True)
class Poll:
    """One query the poller keeps fresh: a [[metrics]] entry, a criterion's or an alert's."""

    id: str
    query: str
    interval: float
    record: bool = True  # write metric.sample events
    series: str = "each"  # how several series are reduced (core.series.reduce_series)
    ok: Condition | None = None  # picks the worst series to keep in the history
    empty_is_data: bool = False  # an alert expression: no series is the healthy answer


_SEVERITY = {"ok": 0, "warn": 1, "bad": 2}


def is_stale(age: float | None, stale_after: float) -> bool:
    """The one staleness rule: a value older than `stale_after` seconds is stale (the
    state the commander reads, the panels' redraws and the rollout gate's verdicts)."""
    return age is not None and age > stale_after


def metric_state(
    metric: Metric, series: MetricSeries, stale_after: float, age: float | None
) -> str:
    """ok / warn / bad by the plan's ranges (the worst series decides), or no_data / error /
    stale / waiting. A range that cannot be evaluated is an error, never ok."""
    if series.state in ("error", "no_data", "waiting") and series.last_value is None:
        return series.state
    if series.state == "error":
        return "error"
    if series.state == "no_data":
        return "no_data"
    if is_stale(age, stale_after):
        return "stale"
    judged = reduce_series(series.latest, metric.series) if series.latest else []
    if not judged and series.last_value is not None:  # backfilled history only
        judged = [SeriesValue((), series.last_value)]
    finite = [s.value for s in judged if math.isfinite(s.value)]
    if not finite:
        return "no_data"
    if metric.ok is None:
        return "ok"
    worst_state = "ok"
    try:
        for value in finite:
            values = {"value": value}
            state = "ok"
            if not metric.ok.evaluate(values):
                state = (
                    "warn" if metric.warn is not None and metric.warn.evaluate(values) else "bad"
                )
            if _SEVERITY[state] > _SEVERITY[worst_state]:
                worst_state = state
    except EvalError:
        return "error"
    return worst_state


def shown_value(samples: tuple[SeriesValue, ...], how: str, ok: Condition | None) -> SeriesValue:
    """The one series a history keeps and a one-line view shows: the worst by `ok`."""
    reduced = reduce_series(samples, how)
    verdict = judge_series(ok, reduced) if ok is not None else None
    return worst(reduced, verdict)


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
        time_scale: float = 1.0,
    ) -> None:
        self.plan = plan
        # a demo clock running N times faster polls N times as often (to a floor), so a
        # trigger's hold time is measured in steps of one poll of launch time, not N
        self.time_scale = time_scale
        self.backend = backend
        self.clock = clock
        self.session = session
        default = interval or plan.settings.poll_interval.total_seconds()
        self.polls = [
            Poll(
                m.id,
                m.query,
                m.interval.total_seconds() if m.interval else default,
                series=m.series,
                ok=m.ok,
            )
            for m in plan.metrics
        ] + list(extra or [])
        self._slots = asyncio.Semaphore(MAX_CONCURRENT)
        self.series: dict[str, MetricSeries] = {p.id: MetricSeries(p.id) for p in self.polls}
        self._by_id = {p.id: p for p in self.polls}
        self._listeners: list[Listener] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._last_recorded: dict[str, float] = {}
        self._last_value: dict[str, float] = {}
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

    def real_interval(self, poll: Poll) -> float:
        """Real seconds between two polls."""
        return max(MIN_REAL_INTERVAL, poll.interval / self.time_scale)

    def poll_of(self, metric_id: str) -> Poll | None:
        return self._by_id.get(metric_id)

    def stale_after(self, metric_id: str) -> float:
        # asked for every metric every second (the rollout gate): a lookup, not a scan
        poll = self._by_id[metric_id]
        return max(3 * self.real_interval(poll), 15.0)

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
            async with self._slots:
                result = await self.backend.query(poll.query, timeout=self._timeout(poll))
        except BackendError as exc:
            series.failed(f"{exc.kind}: {exc}")
        except Exception as exc:  # a bug in a backend must not stop the poller
            series.failed(f"internal error: {type(exc).__name__}: {exc}")
        else:
            samples = result.samples
            if poll.empty_is_data:  # an alert: the history counts the series it returns
                series.add(self.clock.now(), float(len(samples)), samples)
            elif not samples:
                series.no_data()
            else:
                now = self.clock.now()
                shown = shown_value(samples, poll.series, poll.ok)
                series.add(now, shown.value, samples)
                if poll.record:
                    await self._record(poll.id, shown, now)
        self.polls_done += 1
        if self._after_poll is not None:
            try:
                await self._after_poll(series)
            except Exception as exc:  # a judging bug must not stop this metric's polling
                logger.exception("judging %s failed", poll.id)
                series.condition_error = f"internal error: {type(exc).__name__}: {exc}"
        self._notify(poll.id)

    async def _loop(self, poll: Poll) -> None:
        await self.backfill(poll)
        while True:
            await self.poll_once(poll)
            series = self.series[poll.id]
            delay = self.real_interval(poll)
            if series.state == "error":
                delay = min(delay * 2 ** min(series.errors_in_a_row, 10), MAX_BACKOFF)
            else:
                # on a grid of the interval: metrics with the same interval poll together,
                # whenever their first poll came (backfills end one by one), so one wake-up
                # of the loop and one redraw serve them all instead of one each
                delay = on_grid(asyncio.get_running_loop().time(), delay)
            # real seconds: the interval is about load on the metrics server, not launch time
            await asyncio.sleep(delay)

    async def _record(self, metric_id: str, shown: SeriesValue, at: datetime) -> None:
        """A sample goes to the log at most once per `sample_every`, and then only when
        it moved meaningfully or `HEARTBEAT` passed; every poll while a trigger on it fires.
        A steady metric costs one line per 10 minutes instead of one a minute."""
        value = shown.value
        if self.session is None or self.session.closed:
            return
        now = self.clock.monotonic()
        last = self._last_recorded.get(metric_id)
        # sample_every = 0 records every poll (tests, short rehearsals)
        if not self._firing(metric_id) and last is not None and self._sample_every > 0:
            since = now - last
            if since < self._sample_every:
                return
            if since < HEARTBEAT and not moved(self._last_value.get(metric_id), value):
                return
        self._last_recorded[metric_id] = now
        self._last_value[metric_id] = value
        # the reading's launch time, so a chart puts the logged and the live point together
        data: dict[str, Any] = {"metric": metric_id, "value": value, "at": iso(at)}
        if shown.labels:
            data["labels"] = dict(shown.labels)
        await self.session.emit("metric.sample", **data)

    def _notify(self, metric_id: str) -> None:
        for listener in list(self._listeners):
            try:
                listener(metric_id)
            except Exception:  # a view's bug must not stop this metric's polling
                logger.exception("a listener of %s failed", metric_id)
