"""`rollout`: send the canary's share of traffic to `weight` (0: all to the previous
version) through the plan's rollout controller, which records `rollout.requested` and
`rollout.applied` or `rollout.failed` and reads every region back. A rollback only moves
the weight down (always allowed); it never raises it past the rollout's gate."""

from __future__ import annotations

from tminus.actions.actuators.base import ReadBack
from tminus.actions.steps.base import ActionContext, ActionFailed, Output, Rollout
from tminus.plan.model import RolloutAction

REASON = "rollback step"  # recorded with the rollout events this step causes


class RolloutStep:
    def __init__(self, spec: RolloutAction, ctx: ActionContext) -> None:
        self.spec = spec
        self.ctx = ctx

    def _rollout(self) -> Rollout:
        if self.ctx.rollout is None:
            raise ActionFailed("no traffic actuator is configured for this plan ([rollout])")
        return self.ctx.rollout

    @staticmethod
    def _now(backs: list[ReadBack]) -> str:
        """One weight when every region agrees, else region by region."""
        weights = {rb.weight for rb in backs}
        if len(weights) == 1 and None not in weights:
            return f"{weights.pop()}%"
        return ", ".join(
            f"{rb.region} {'unreadable' if rb.weight is None else f'{rb.weight}%'}" for rb in backs
        )

    async def preview(self) -> str:
        rollout = self._rollout()
        try:
            now = self._now(await rollout.read_back())
            changes = [line for c in await rollout.preview(self.spec.weight) for line in c.lines()]
        except Exception as exc:  # a preview reports what it cannot read; it never fails
            now, changes = f"unknown ({exc})", []
        head = f"set the canary weight from {now} to {self.spec.weight}%, then read it back"
        return "\n".join([head, *changes])

    async def run(self, out: Output) -> None:
        rollout = self._rollout()
        backs = await rollout.read_back()
        out(f"canary weight now: {self._now(backs)}")
        above = [rb for rb in backs if rb.weight is not None and rb.weight < self.spec.weight]
        if above:
            raise ActionFailed(
                f"a rollback only lowers the weight: {self.spec.weight}% is above "
                + ", ".join(f"{rb.region} {rb.weight}%" for rb in above)
            )
        out(f"set canary weight to {self.spec.weight}%")
        event = await rollout.apply(self.spec.weight, reason=REASON)
        regions = event.data.get("regions") or {}
        if event.type != "rollout.applied":
            raise ActionFailed(str(event.data.get("error") or f"{event.type}: {regions}"))
        out("read back: " + ", ".join(f"{r} {w}%" for r, w in regions.items()))
