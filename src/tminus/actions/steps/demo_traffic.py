"""The demo world's canary weight as a Traffic target, for the `rollout` step."""

from __future__ import annotations

from tminus.backends.demo.world import DemoWorld


class DemoTraffic:
    def __init__(self, world: DemoWorld) -> None:
        self.world = world

    @property
    def description(self) -> str:
        return "the demo world's canary"

    async def weight(self) -> int:
        return self.world.weight

    async def set_weight(self, weight: int) -> None:
        self.world.set_weight(weight)
