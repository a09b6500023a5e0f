"""The demo implementation of every actuator kind: the demo world's canary weight.

The preview is the real kind's preview (so the demo shows the patch a real plan would send);
applying it moves the simulated world, whose metrics respond to the weight.
"""

from __future__ import annotations

import contextlib
from typing import Protocol

from tminus.actions.actuators.base import Actuator, ActuatorError, Change, ReadBack
from tminus.backends.base import Backends


class WeightedWorld(Protocol):
    @property
    def weight(self) -> int: ...

    def set_weight(self, pct: int) -> None: ...


class DemoWorldActuator(Actuator):
    def __init__(self, world: WeightedWorld, regions: tuple[str, ...], shown: Actuator | None):
        super().__init__(regions)
        self.world = world
        self.shown = shown  # the real kind, for its preview only; never applied
        self.fail_regions: dict[str, int] = {}  # region -> failures to simulate

    async def preview(self, weight: int) -> list[Change]:
        if self.shown is not None:
            with contextlib.suppress(Exception):  # a kind that needs a cluster to preview
                return await self.shown.preview(weight)
        return [Change(r, "demo world", "set canary weight", f"{weight}%") for r in self.regions]

    async def set_weight(self, region: str, weight: int) -> None:
        left = self.fail_regions.get(region, 0)
        if left:
            self.fail_regions[region] = left - 1
            raise ActuatorError(f"{region}: demo world did not answer (simulated failure)")
        self.world.set_weight(weight)

    async def read_weight(self, region: str) -> ReadBack:
        return ReadBack(region, self.world.weight, stable="v1.4.2", canary="v1.5.0")


def build(spec: object, backends: Backends) -> Actuator:
    if backends.demo_world is None:
        raise ActuatorError('actuator kind "demo" needs [backends.demo]')
    return build_for_world(spec, backends)


def build_for_world(spec: object, backends: Backends) -> Actuator:
    """Any kind on the demo world, previewing what the real kind would send."""
    from tminus.actions.actuators.registry import ACTUATORS, factory
    from tminus.plan.model import Actuator as Spec

    assert isinstance(spec, Spec)
    shown: Actuator | None = None
    if spec.kind != "demo":  # type: ignore[attr-defined]
        offline = Backends(**{**vars(backends), "demo_world": None, "kubernetes": None})
        shown = factory(ACTUATORS[spec.kind].build)(spec, offline)  # type: ignore[attr-defined]
    return DemoWorldActuator(backends.demo_world, spec.regions(), shown)
