"""Each check kind is registered once, on its spec: the spec names its check function and
the backend it runs against, and the demo world provides that backend."""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import inspect

import pytest

from tminus.backends.base import Backends
from tminus.backends.demo import demo_backends, make_world
from tminus.checks.base import check_function
from tminus.plan.checkspecs import CheckSpec
from tminus.plan.loader import default_plan

KINDS = sorted(CheckSpec.KINDS)


def test_the_known_kinds_are_all_registered():
    assert set(KINDS) >= {"http", "tls", "dns", "tcp", "prometheus", "kubernetes", "command"}


@pytest.mark.parametrize("kind", KINDS)
def test_every_spec_kind_has_an_implementation(kind):
    spec = CheckSpec.KINDS[kind]
    module, sep, name = spec.RUNS.partition(":")
    assert sep and module.startswith("tminus.checks."), f"{kind}: RUNS = {spec.RUNS!r}"
    fn = getattr(importlib.import_module(module), name)
    assert inspect.iscoroutinefunction(fn)
    assert check_function(kind) is fn  # the runner loads exactly what the spec names


@pytest.mark.parametrize("kind", KINDS)
def test_every_spec_kind_has_a_demo_world_implementation(kind):
    spec = CheckSpec.KINDS[kind]
    assert spec.BACKEND in {f.name for f in dataclasses.fields(Backends)}, spec.BACKEND
    plan = default_plan()
    assert plan.backends.demo is not None
    backends = demo_backends(make_world(plan.backends.demo, plan.launch.t0))
    backend = getattr(backends, spec.BACKEND)
    assert backend is not None, f"the demo world has no {spec.BACKEND} backend for {kind}"
    assert type(backend).__module__.startswith("tminus.backends.demo")
    asyncio.run(backends.close())


def test_an_unregistered_kind_is_a_clear_key_error():
    with pytest.raises(KeyError, match="no-such-kind"):
        check_function("no-such-kind")
