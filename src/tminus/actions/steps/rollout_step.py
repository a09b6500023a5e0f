"""`rollout`: send the canary's share of traffic to `weight` (0: all to the previous
version) and read it back. The step's own events carry the weights read before and after."""

from __future__ import annotations

from tminus.actions.steps.base import ActionContext, ActionFailed, Output, Traffic
from tminus.plan.model import RolloutAction


class RolloutStep:
    def __init__(self, spec: RolloutAction, ctx: ActionContext) -> None:
        self.spec = spec
        self.ctx = ctx

    def _traffic(self) -> Traffic:
        if self.ctx.traffic is None:
            raise ActionFailed("no traffic actuator is configured for this plan ([rollout])")
        return self.ctx.traffic

    async def preview(self) -> str:
        traffic = self._traffic()
        try:
            now = f"{await traffic.weight()}%"
        except Exception as exc:  # a preview reports what it cannot read; it never fails
            now = f"unknown ({exc})"
        return (
            f"set the canary weight from {now} to {self.spec.weight}% through "
            f"{traffic.description}, then read it back"
        )

    async def run(self, out: Output) -> None:
        traffic = self._traffic()
        before = await traffic.weight()
        out(f"canary weight now {before}% ({traffic.description})")
        await traffic.set_weight(self.spec.weight)
        out(f"set canary weight to {self.spec.weight}%")
        after = await traffic.weight()
        if after != self.spec.weight:
            raise ActionFailed(f"read back {after}%, expected {self.spec.weight}%")
        out(f"read back: canary weight {after}%")
