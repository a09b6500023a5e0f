"""Rollback triggers, with Prometheus alerting semantics per series.

Each series a trigger's query returns is an alert of its own: while its condition holds it
is pending, and once it has held for the trigger's `for` it fires (`for = "0s"` fires at
once). A series whose value no longer meets the condition clears; a series that vanishes
from the answer clears only after it has been absent from ABSENT_POLLS consecutive polls.
Missing data for the whole query (no data, a query error, NaN or ±Inf) never clears a
firing trigger and never starts or ends a hold.

An `alert = '<PromQL>'` trigger fires for every series its expression returns, as the
expression would in a Prometheus alerting rule; an empty answer is its healthy state.

Pending, fired and cleared are session events carrying the series labels, so the state,
hold timers included, is the session's (it survives a resume), not this object's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tminus.core.clock import Clock
from tminus.core.series import SeriesValue, judge_series, reduce_series, worst
from tminus.engine.history import MetricSeries
from tminus.engine.metrics import Poll
from tminus.engine.session import SYSTEM_ACTOR
from tminus.engine.state import AlertState, SessionState
from tminus.plan.model import Plan, Trigger

if TYPE_CHECKING:
    from tminus.engine.session import SessionWriter

logger = logging.getLogger(__name__)

Emit = Callable[..., Any]
ABSENT_POLLS = 2  # consecutive polls a firing series must be missing from before it clears
ALERT_INTERVAL = 15.0  # seconds between evaluations of an alert trigger without its own


def alert_poll_id(trig: Trigger) -> str:
    return f"alert:{trig.id}"


def trigger_polls(plan: Plan, default_interval: float | None = None) -> list[Poll]:
    """Alert triggers evaluate their own expression, polled like a metric but not recorded."""
    default = default_interval or ALERT_INTERVAL
    return [
        Poll(
            alert_poll_id(t),
            t.alert,
            t.interval.total_seconds() if t.interval else default,
            record=False,
            empty_is_data=True,
        )
        for t in plan.triggers
        if t.alert
    ]


class TriggerWatcher:
    def __init__(
        self,
        plan: Plan,
        state: SessionState,
        clock: Clock,
        *,
        session: SessionWriter | None,
        actor: str,
    ) -> None:
        self.plan = plan
        self.state = state
        self.clock = clock
        self.session = session
        self.actor = actor
        self._absent: dict[tuple[str, str], int] = {}  # (trigger, series) -> polls missing
        self._in_flight: set[str] = set()  # events submitted, not yet folded
        self._failures: dict[str, str] = {}  # trigger id -> last condition failure logged

    def by_metric(self, metric_id: str) -> list[Trigger]:
        return [
            t
            for t in self.plan.triggers
            if t.metric == metric_id or (t.alert and alert_poll_id(t) == metric_id)
        ]

    def firing(self, trigger_id: str) -> bool:
        st = self.state.triggers.get(trigger_id)
        return bool(st and st.firing)

    def metric_firing(self, metric_id: str) -> bool:
        return any(self.firing(t.id) for t in self.by_metric(metric_id))

    def holding_for(self, trigger_id: str) -> float | None:
        """Seconds the longest-pending series of this trigger has held its condition."""
        st = self.state.triggers.get(trigger_id)
        pending = [a for a in (st.alerts.values() if st else ()) if a.state == "pending"]
        if not pending:
            return None
        return self._now() - min(a.since for a in pending)

    def _now(self) -> float:
        return self.clock.now().timestamp()

    async def observe(self, series: MetricSeries) -> None:
        """Evaluate the triggers on this metric (or alert expression) after a poll."""
        for trig in self.by_metric(series.metric_id):
            await self._evaluate(trig, series)

    async def _holding(
        self, trig: Trigger, series: MetricSeries
    ) -> tuple[dict[str, SeriesValue], set[str], set[str]] | None:
        """Series that hold, that do not hold, and that say nothing; None: no data at all."""
        if series.state != "value":
            return None  # waiting, no data or a query error: say nothing
        if trig.alert:
            return {s.key: s for s in series.latest}, set(), set()
        if not series.latest:
            return None
        reduced = reduce_series(series.latest, trig.series)
        assert trig.when is not None
        verdict = judge_series(trig.when, reduced)
        if verdict.errors:
            await self._condition_failed(trig, series, verdict.errors[0][1])
        else:
            series.condition_error = ""
            self._failures.pop(trig.id, None)
        unknown = {s.key for s in verdict.no_number} | {s.key for s, _ in verdict.errors}
        if trig.series == "worst":  # one alert for the whole query: the worst series speaks
            if verdict.passing:
                return {"": worst(list(verdict.passing))}, set(), set()
            if unknown:
                return {}, set(), {""}
            return {}, {""}, set()
        holding = {s.key: s for s in verdict.passing}
        return holding, {s.key for s in verdict.failing}, unknown

    async def _condition_failed(self, trig: Trigger, series: MetricSeries, why: str) -> None:
        message = f"trigger {trig.id}: cannot evaluate {trig.when}: {why}"
        series.condition_error = message
        if trig.id not in self._failures:  # logged once, until the condition works again
            self._failures[trig.id] = message
            logger.warning("%s", message)
            await self._record("trigger.error", trigger=trig.id, series="", error=message)

    async def _evaluate(self, trig: Trigger, series: MetricSeries) -> None:
        judged = await self._holding(trig, series)
        if judged is None:
            return  # no data says nothing: keep hold timers and firing series as they are
        holding, not_holding, unknown = judged
        now = self._now()
        hold = trig.hold.total_seconds()
        current = dict(self.state.trigger(trig.id).alerts) if trig.id in self.state.triggers else {}
        for key, s in holding.items():
            self._absent.pop((trig.id, key), None)
            alert = current.get(key)
            if alert is None and hold > 0:
                await self._emit("trigger.pending", trig, s, key=key, since=now)
            elif alert is None or (alert.state == "pending" and now - alert.since >= hold):
                since = now if alert is None else alert.since
                await self._emit(
                    "trigger.fired",
                    trig,
                    s,
                    key=key,
                    condition=trig.when.text if trig.when else f"alert: {trig.alert}",
                    held_s=round(now - since, 1),
                    at=now,
                )
        for key in not_holding:
            self._absent.pop((trig.id, key), None)
            await self._end(trig, key, current.get(key), "condition no longer holds")
        for key, alert in current.items():
            if key in holding or key in not_holding or key in unknown:
                continue
            if alert.state == "pending":  # as in Prometheus: a vanished pending alert is dropped
                await self._end(trig, key, alert, "series gone")
                continue
            missing = self._absent.get((trig.id, key), 0) + 1
            self._absent[(trig.id, key)] = missing
            if missing >= ABSENT_POLLS:
                self._absent.pop((trig.id, key), None)
                await self._end(trig, key, alert, f"series gone for {missing} polls")

    async def _end(self, trig: Trigger, key: str, alert: AlertState | None, why: str) -> None:
        if alert is None:
            return
        s = SeriesValue(tuple(sorted(alert.labels.items())), alert.value)
        if alert.state == "pending":
            await self._emit("trigger.pending_cleared", trig, s, reason=why, key=key)
        else:
            await self._emit("trigger.cleared", trig, s, reason=why, key=key)

    async def declare(self, trigger_id: str, note: str) -> None:
        """A person declares a manual trigger (data corruption, security breach)."""
        trig = next(t for t in self.plan.triggers if t.id == trigger_id)
        if not trig.manual:
            raise ValueError(f"{trig.title} fires from its metric; it cannot be declared")
        await self._record("trigger.declared", actor=self.actor, trigger=trigger_id, note=note)

    async def clear_manual(self, trigger_id: str, note: str) -> None:
        await self._record("trigger.cleared", actor=self.actor, trigger=trigger_id, note=note)

    async def _emit(
        self, type_: str, trig: Trigger, s: SeriesValue, key: str | None = None, **extra: Any
    ) -> None:
        data: dict[str, Any] = {"trigger": trig.id, "series": s.key if key is None else key}
        if trig.metric:
            data["metric"] = trig.metric
        data["labels"] = dict(s.labels)
        data["value"] = s.value
        data.update(extra)
        # tminus judged it from the metric; a person declares, acknowledges or clears
        await self._record(type_, SYSTEM_ACTOR, **data)

    async def _record(self, type_: str, actor: str | None = None, **data: Any) -> None:
        key = f"{type_}:{data.get('trigger')}:{data.get('series')}"
        if key in self._in_flight:  # a poll that lands before the last event was folded
            return
        self._in_flight.add(key)
        try:
            if self.session is not None and not self.session.closed:
                await self.session.emit(type_, actor=actor, **data)
        finally:
            self._in_flight.discard(key)
