"""Rollback triggers: a metric condition held for a time fires; a person declares the rest.

Fired and cleared are session events, so the firing state is the session's, not this
object's. Missing data (no data, a query error, a stale series) never clears a firing
trigger: only a real value that no longer meets the condition does.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tminus.core.clock import Clock
from tminus.engine.history import MetricSeries
from tminus.engine.state import SessionState
from tminus.plan.model import Plan, Trigger

if TYPE_CHECKING:
    from tminus.engine.session import SessionWriter

Emit = Callable[..., Any]


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
        self._holding_since: dict[str, float] = {}  # trigger id -> monotonic time it began to hold
        self._pending: set[str] = set()  # fired/cleared submitted, not yet folded

    def by_metric(self, metric_id: str) -> list[Trigger]:
        return [t for t in self.plan.triggers if t.metric == metric_id]

    def firing(self, trigger_id: str) -> bool:
        st = self.state.triggers.get(trigger_id)
        return bool(st and st.firing)

    def metric_firing(self, metric_id: str) -> bool:
        return any(self.firing(t.id) for t in self.by_metric(metric_id))

    def holding_for(self, trigger_id: str) -> float | None:
        since = self._holding_since.get(trigger_id)
        return None if since is None else self.clock.monotonic() - since

    async def observe(self, series: MetricSeries) -> None:
        """Evaluate the triggers on this metric after a poll."""
        for trig in self.by_metric(series.metric_id):
            await self._evaluate(trig, series)

    async def _evaluate(self, trig: Trigger, series: MetricSeries) -> None:
        assert trig.when is not None
        if series.state != "value" or series.last_value is None or math.isnan(series.last_value):
            return  # no data says nothing: keep the hold timer and the firing state as they are
        value = series.last_value
        holds = trig.when.evaluate({"value": value})
        now = self.clock.monotonic()
        if holds:
            since = self._holding_since.setdefault(trig.id, now)
            if not self.firing(trig.id) and now - since >= trig.hold.total_seconds():
                await self._emit(
                    "trigger.fired",
                    trigger=trig.id,
                    metric=trig.metric,
                    value=value,
                    condition=trig.when.text,
                    held_s=round(now - since, 1),
                )
        else:
            self._holding_since.pop(trig.id, None)
            if self.firing(trig.id):
                await self._emit(
                    "trigger.cleared", trigger=trig.id, metric=trig.metric, value=value
                )

    async def declare(self, trigger_id: str, note: str) -> None:
        """A person declares a manual trigger (data corruption, security breach)."""
        trig = next(t for t in self.plan.triggers if t.id == trigger_id)
        if not trig.manual:
            raise ValueError(f"{trig.title} fires from its metric; it cannot be declared")
        await self._emit("trigger.declared", actor=self.actor, trigger=trigger_id, note=note)

    async def clear_manual(self, trigger_id: str, note: str) -> None:
        await self._emit("trigger.cleared", actor=self.actor, trigger=trigger_id, note=note)

    async def _emit(self, type_: str, actor: str | None = None, **data: Any) -> None:
        key = f"{type_}:{data.get('trigger')}"
        if key in self._pending:  # a poll that lands before the last event was folded
            return
        self._pending.add(key)
        try:
            if self.session is not None and not self.session.closed:
                await self.session.emit(type_, actor=actor, **data)
        finally:
            self._pending.discard(key)
