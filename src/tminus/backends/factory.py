"""Pick the backends a plan names: the real world, or the embedded demo world."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from tminus.backends.base import Backends
from tminus.plan.model import Plan

if TYPE_CHECKING:
    from tminus.backends.demo.world import DemoWorld
    from tminus.core.clock import Clock


def build_backends(
    plan: Plan,
    env: Mapping[str, str] | None = None,
    *,
    world: DemoWorld | None = None,
    clock: Clock | None = None,
) -> Backends:
    environ = dict(os.environ if env is None else env)
    if plan.backends.demo is not None:
        from tminus.backends.demo import demo_backends, make_world

        if world is None:
            world = make_world(plan.backends.demo, plan.launch.t0, clock)
        backends = demo_backends(world)
        backends.env = {**environ, **backends.env}
        return backends
    from tminus.backends.commands import LocalCommands
    from tminus.backends.net import RealDns, RealHttp, RealTcp, RealTls

    metrics = None
    if plan.backends.prometheus is not None:
        from tminus.backends.prometheus import PrometheusMetrics

        metrics = PrometheusMetrics(plan.backends.prometheus, environ)
    kube = None
    if plan.backends.kubernetes is not None:
        from tminus.backends.kube import KubeClusters

        kube = KubeClusters(plan.backends.kubernetes, environ)
    return Backends(
        http=RealHttp(),
        tls=RealTls(),
        dns=RealDns(),
        tcp=RealTcp(),
        commands=LocalCommands(),
        metrics=metrics,
        kubernetes=kube,
        env=environ,
    )
