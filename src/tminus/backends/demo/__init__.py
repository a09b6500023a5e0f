"""The embedded demo world: every backend answered by one simulated MusicConnect.

`tminus demo` runs the default plan against it with no network and no configuration.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime, timedelta

from tminus.backends.base import Backends
from tminus.backends.demo.commands import DemoCommands
from tminus.backends.demo.kube import DemoKubernetes
from tminus.backends.demo.metrics import DemoMetrics
from tminus.backends.demo.net import DemoDns, DemoHttp, DemoTcp, DemoTls
from tminus.backends.demo.world import DemoWorld
from tminus.core.clock import Clock, ScaledClock
from tminus.plan.model import DemoConfig

# secrets the default plan names, with values only the demo world accepts
DEMO_ENV = {"MUSICCONNECT_PAYMENTS_TEST_TOKEN": "demo-token"}
LEAD_IN = timedelta(minutes=15)  # the demo opens shortly before T-0


def make_world(config: DemoConfig, t0: datetime, clock: Clock | None = None) -> DemoWorld:
    if clock is None:
        clock = ScaledClock(t0 - LEAD_IN, config.speed)
    return DemoWorld(config.scenario, config.seed, clock=clock, t0=t0)


def demo_backends(world: DemoWorld, *, env: Mapping[str, str] | None = None) -> Backends:
    """All backends on `world`; `env` (default: os.environ) gets the demo's own secrets."""
    base = os.environ if env is None else env
    return Backends(
        http=DemoHttp(world),
        tls=DemoTls(world),
        dns=DemoDns(world),
        tcp=DemoTcp(world),
        commands=DemoCommands(world),
        metrics=DemoMetrics(world),
        kubernetes=DemoKubernetes(world),
        env={**base, **DEMO_ENV},
        clock=world.clock,
        demo_world=world,
    )


__all__ = [
    "DEMO_ENV",
    "DemoCommands",
    "DemoDns",
    "DemoHttp",
    "DemoKubernetes",
    "DemoMetrics",
    "DemoTcp",
    "DemoTls",
    "DemoWorld",
    "demo_backends",
    "make_world",
]
