"""The one registry of rollout actuator kinds: spec class and implementation side by side.

Adding a kind: a spec dataclass in tminus.plan.model (registered in `Actuator.KINDS`), a
module here with a `build(spec, backends)` function, and one line below. Modules are
imported on first use, so a kind's client library (kubernetes, httpx) loads only when a
plan uses it. The demo world stands in for every kind (tests/test_actuator_registry.py
checks both halves exist for every kind the plan accepts).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from tminus.actions.actuators.base import Actuator
from tminus.backends.base import Backends
from tminus.core.records import record
from tminus.plan import model


@record(frozen=True)
class ActuatorKind:
    """An actuator kind: its plan spec and where its builder lives."""

    spec: type[model.Actuator]
    build: str  # "module:function", function(spec, backends) -> Actuator


ACTUATORS: dict[str, ActuatorKind] = {
    "ingress-nginx": ActuatorKind(
        model.IngressNginxActuator, "tminus.actions.actuators.ingress_nginx:build"
    ),
    "gateway-api": ActuatorKind(
        model.GatewayApiActuator, "tminus.actions.actuators.gateway_api:build"
    ),
    "webhook": ActuatorKind(model.WebhookActuator, "tminus.actions.actuators.webhook:build"),
    "command": ActuatorKind(model.CommandActuator, "tminus.actions.actuators.command:build"),
    "demo": ActuatorKind(model.DemoActuator, "tminus.actions.actuators.demo:build"),
}
DEMO_BUILD = "tminus.actions.actuators.demo:build_for_world"  # any kind, on the demo world

Factory = Callable[[Any, Backends], Actuator]


def factory(path: str) -> Factory:
    module, _, name = path.partition(":")
    fn: Factory = getattr(importlib.import_module(module), name)
    return fn


def build_actuator(spec: model.Actuator, backends: Backends) -> Actuator:
    """The plan's actuator on these backends: the demo world when the plan runs on it."""
    kind = ACTUATORS[spec.kind]  # type: ignore[attr-defined]
    if backends.demo_world is not None:
        return factory(DEMO_BUILD)(spec, backends)
    return factory(kind.build)(spec, backends)
