"""RolloutController: preview, confirm, apply, read back, record. No Textual.

The weight moves up only through an open gate (the step has baked, no trigger fires, every
gating metric is in its ok range) and one step at a time; either can be overridden with a
typed reason, which is recorded. Moving down is always allowed. Every change is recorded
as `rollout.requested`, then `rollout.applied` or `rollout.failed` with the weight each
region holds. All state is folded from the log (RolloutState); the controller keeps none.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import field
from datetime import datetime
from typing import TYPE_CHECKING

from tminus.actions.actuators.base import Actuator, ActuatorError, Change, ReadBack
from tminus.core.clock import Clock
from tminus.core.records import record
from tminus.engine.refusals import ReadOnlyError
from tminus.engine.rollout_state import RolloutState
from tminus.engine.state import SessionState
from tminus.plan.model import Plan, Rollout

if TYPE_CHECKING:
    from tminus.engine.session import Event, SessionWriter

log = logging.getLogger(__name__)
ACTOR_TMINUS = "tminus"  # changes tminus makes on its own (on_trigger = "zero")
REGION_TIMEOUT = 60.0  # seconds for one region's set + read back


class RolloutRefused(Exception):
    """A move the gate or the step rule refuses without an override reason."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


@record(frozen=True)
class GateState:
    """Whether the rollout may move up now, and why not."""

    open: bool
    reasons: tuple[str, ...] = ()


@record(frozen=True)
class Move:
    """What moving to `target` needs: nothing, or an override with a typed reason."""

    target: int
    current: int
    reasons: tuple[str, ...] = ()  # why an override is needed; empty: allowed as is
    notes: tuple[str, ...] = field(default=())  # shown, never blocking

    @property
    def direction(self) -> str:
        if self.target > self.current:
            return "up"
        return "down" if self.target < self.current else "same"

    @property
    def needs_override(self) -> bool:
        return bool(self.reasons)


MetricStates = Callable[[], dict[str, str]]  # gating metric id -> ok / warn / bad / no_data...


class RolloutController:
    def __init__(
        self,
        plan: Plan,
        actuator: Actuator,
        state: SessionState,
        clock: Clock,
        *,
        session: SessionWriter | None,
        actor: str,
        read_only: bool = False,
        metric_states: MetricStates | None = None,
    ) -> None:
        if plan.rollout is None:
            raise ValueError("the plan has no [rollout]")
        self.plan = plan
        self.spec: Rollout = plan.rollout
        self.actuator = actuator
        self.state = state
        self.clock = clock
        self.session = session
        self.actor = actor
        self.read_only = read_only or session is None
        self.metric_states = metric_states or (lambda: {})
        self._busy = asyncio.Lock()
        self._zeroing = False  # in flight only; what happened is in the log

    # ------------------------------------------------------------ derived from the log
    @property
    def rollout(self) -> RolloutState:
        return self.state.rollout

    @property
    def ladder(self) -> tuple[int, ...]:
        """Every weight the slider offers: 0, then the plan's steps."""
        return (0, *self.spec.steps)

    def step_of(self, weight: int) -> int:
        """1-based step number of a weight (0 for 0 or a weight off the ladder)."""
        return self.spec.steps.index(weight) + 1 if weight in self.spec.steps else 0

    def bake_left(self) -> float | None:
        """Seconds until the current step has baked; None at 0 % or before any change."""
        st = self.rollout
        if st.weight == 0 or st.baked_from is None:
            return None
        started = datetime.fromisoformat(st.baked_from.replace("Z", "+00:00"))
        elapsed = (self.clock.now() - started).total_seconds()
        return max(0.0, self.spec.bake.total_seconds() - elapsed)

    def gate(self) -> GateState:
        """Open when the step has baked, no trigger fires and every gating metric is ok."""
        reasons: list[str] = []
        st = self.rollout
        left = self.bake_left()
        if left:
            reasons.append(f"step {self.step_of(st.weight)} bakes for {_mmss(left)} more")
        titles = {t.id: t.title for t in self.plan.triggers}
        for trig in self.state.firing:
            reasons.append(f"trigger firing: {titles.get(trig.id, trig.id)}")
        states = self.metric_states()
        for metric in self.spec.gating_metrics(self.plan.metrics):
            verdict = states.get(metric.id, "waiting")
            if verdict != "ok":
                ok = metric.ok.text if metric.ok is not None else ""
                reasons.append(f"{metric.title} is {verdict} (ok: {ok})")
        if st.pending is not None:
            reasons.append(f"a change to {st.pending}% is in progress")
        if st.drift:
            reasons.append("drift: " + _regions(st.drift))
        return GateState(not reasons, tuple(reasons))

    def next_up(self) -> int | None:
        above = [w for w in self.ladder if w > self.rollout.weight]
        return above[0] if above else None

    def judge(self, target: int) -> Move:
        if target not in self.ladder:
            raise ValueError(f"{target}% is not a step of the plan ({self.ladder})")
        st = self.rollout
        move = Move(target, st.weight)
        if move.direction != "up":
            return move  # moving down (or re-applying) is always allowed
        failed = st.failed
        if failed is not None and failed["weight"] == target and failed["override"]:
            return Move(target, st.weight, notes=("retry of an overridden change",))
        reasons = list(self.gate().reasons)
        nxt = self.next_up()
        if nxt is not None and target > nxt:
            skipped = [w for w in self.ladder if st.weight < w < target]
            reasons.append("skips " + ", ".join(f"{w}%" for w in skipped))
        return Move(target, st.weight, tuple(reasons))

    # ------------------------------------------------------------ intents
    def _writable(self) -> SessionWriter:
        if self.read_only or self.session is None:
            raise ReadOnlyError("read-only: this console cannot change the traffic weight")
        return self.session

    async def preview(self, target: int) -> list[Change]:
        return await self.actuator.preview(target)

    async def apply(self, target: int, *, reason: str = "", actor: str | None = None) -> Event:
        """Set `target` everywhere and record it; refused without a reason when it must be
        overridden. Returns the `rollout.applied` or `rollout.failed` event."""
        session = self._writable()
        move = self.judge(target)
        reason = reason.strip()
        if move.needs_override and not reason:
            raise RolloutRefused(list(move.reasons))
        override = reason if move.needs_override else ""
        if not override and self.rollout.failed and self.rollout.failed["weight"] == target:
            override = self.rollout.failed["override"]  # a retry keeps the recorded reason
        who = actor or self.actor
        async with self._busy:
            previous = self.rollout.weight
            await session.emit(
                "rollout.requested",
                actor=who,
                weight=target,
                previous=previous,
                step=self.step_of(target),
                regions=list(self.actuator.regions),
                override=override,
                overridden=list(move.reasons) if override else [],
                reason=reason,
            )
            results = await asyncio.gather(
                *(self._set_and_read(region, target) for region in self.actuator.regions)
            )
            regions = {rb.region: rb.weight for rb, _ in results}
            errors = {rb.region: err for rb, err in results if err}
            if not errors:
                return await session.emit(
                    "rollout.applied",
                    actor=who,
                    weight=target,
                    previous=previous,
                    step=self.step_of(target),
                    regions=regions,
                    at=self.clock.now().isoformat(),
                    override=override,
                    reason=reason,
                )
            return await session.emit(
                "rollout.failed",
                actor=who,
                weight=target,
                previous=previous,
                regions=regions,
                errors=errors,
                override=override,
                reason=reason,
                error="; ".join(errors.values()),
            )

    async def _set_and_read(self, region: str, weight: int) -> tuple[ReadBack, str]:
        try:
            async with asyncio.timeout(REGION_TIMEOUT):
                await self.actuator.set_weight(region, weight)
        except ActuatorError as exc:
            return await self.actuator.read_weight(region), str(exc)
        except TimeoutError:
            msg = f"{region}: no answer in {REGION_TIMEOUT:g}s"
            return await self.actuator.read_weight(region), msg
        back = await self.actuator.read_weight(region)
        if not self.actuator.can_read:
            return ReadBack(region, weight, error=back.error), ""  # trusted as sent
        if back.weight != weight:
            seen = "unreadable" if back.weight is None else f"{back.weight}%"
            detail = f" ({back.error})" if back.error else ""
            return back, f"{region}: read back {seen} after setting {weight}%{detail}"
        return back, ""

    async def read_back(self) -> list[ReadBack]:
        return list(
            await asyncio.gather(*(self.actuator.read_weight(r) for r in self.actuator.regions))
        )

    async def record_start(self, note: str = "weight found when the session started") -> Event:
        """A new session records the weight the world has, so the log starts complete."""
        session = self._writable()
        backs = await self.read_back()
        readable = [rb.weight for rb in backs if rb.weight is not None]
        weight = min(readable) if readable else 0  # differing regions show as drift next
        return await session.emit(
            "rollout.applied",
            actor=ACTOR_TMINUS,
            weight=weight,
            previous=weight,
            step=self.step_of(weight),
            regions={rb.region: rb.weight for rb in backs},
            at=self.clock.now().isoformat(),
            override="",
            note=note,
        )

    async def check_drift(self) -> Event | None:
        """Read every region back; record `rollout.drift` when it changed from what was
        last applied (or the drift resolved). Called on each poll and on resume."""
        if self.read_only or not self.actuator.can_read or self.rollout.pending is not None:
            return None
        if not self.rollout.started:
            return None  # nothing applied yet to drift from
        if self._busy.locked() or self.rollout.failed is not None:
            return None  # a change is under way, or a failure already shows the regions
        backs = await self.read_back()
        expected = self.rollout.weight
        off = {rb.region: rb.weight for rb in backs if rb.weight is not None}
        off = {r: w for r, w in off.items() if w != expected}
        if off == self.rollout.drift:
            return None
        session = self._writable()
        return await session.emit(
            "rollout.drift", actor=ACTOR_TMINUS, expected=expected, regions=off
        )

    async def on_trigger(self, trigger_id: str) -> Event | None:
        """A trigger fired: hold (recorded), or with on_trigger = "zero" set 0 at once."""
        if self.read_only or (self.rollout.weight == 0 and self.rollout.pending is None):
            return None
        session = self._writable()
        title = next((t.title for t in self.plan.triggers if t.id == trigger_id), trigger_id)
        if self.spec.on_trigger == "zero":
            if self._zeroing:  # several series fired at once: one change to 0 is enough
                return None
            self._zeroing = True
            try:
                return await self.apply(0, reason=f"trigger fired: {title}", actor=ACTOR_TMINUS)
            finally:
                self._zeroing = False
        if self.rollout.held == trigger_id:
            return None  # already recorded (another series of the same trigger)
        return await session.emit(
            "rollout.held", actor=ACTOR_TMINUS, trigger=trigger_id, weight=self.rollout.weight
        )

    async def close(self) -> None:
        await self.actuator.close()


def _mmss(seconds: float) -> str:
    s = int(seconds + 0.999)
    return f"{s // 60}:{s % 60:02d}" if s < 3600 else f"{s // 3600}h{s % 3600 // 60:02d}m"


def _regions(weights: dict[str, int | None]) -> str:
    return ", ".join(f"{r} {'?' if w is None else f'{w}%'}" for r, w in weights.items())


def format_bake(seconds: float | None) -> str:
    return "" if seconds is None else ("baked" if seconds <= 0 else _mmss(seconds))
