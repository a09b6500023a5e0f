"""`demo`: an effect on the embedded demo world (maintenance mode, a restore, cache purge)."""

from __future__ import annotations

from tminus.actions.steps.base import ActionContext, ActionFailed, Output
from tminus.backends.base import BackendError
from tminus.backends.demo.world import DemoWorld
from tminus.plan.model import DemoAction


class DemoStep:
    def __init__(self, spec: DemoAction, ctx: ActionContext) -> None:
        self.spec = spec
        self.ctx = ctx

    def _world(self) -> DemoWorld:
        world = self.ctx.backends.demo_world
        if not isinstance(world, DemoWorld):
            raise ActionFailed("a demo action runs only on the demo world ([backends.demo])")
        return world

    async def preview(self) -> str:
        failing = (
            f", failing the first {self.spec.fail_times} time(s)" if self.spec.fail_times else ""
        )
        return f"demo world: {self.spec.effect}{failing}"

    async def run(self, out: Output) -> None:
        world = self._world()
        if world.attempts.get(self.spec.effect, 0) < self.spec.fail_times:
            world.fail_next(self.spec.effect)
        try:
            out(world.perform(self.spec.effect))
        except BackendError as exc:
            raise ActionFailed(str(exc)) from None
