"""The rollback's `rollout` step on real parts: it sets the canary weight to 0 through the
plan's rollout controller and the ingress-nginx actuator, with the real `kubernetes` client
against the API-compatible fixture server (tests/fixtures/kube_apiserver.py, a test
fixture, not a real kube-apiserver) in two contexts; a real `kubectl` reads it back."""

from __future__ import annotations

import asyncio
from pathlib import Path

from test_rollout_kubernetes import INGRESS, NS, kubectl, needs_kubectl, plan_text
from tminus.backends.factory import build_backends
from tminus.core.clock import FrozenClock
from tminus.engine.console import ConsoleEngine
from tminus.engine.session import SessionWriter, load_events
from tminus.plan.loader import parse_plan

from console_factory import folded
from fixtures.kube_apiserver import KubeRegions

CONTEXTS = ("prod-us-east", "prod-eu-west")
ANNOTATION = "nginx.ingress.kubernetes.io/canary-weight"
ROUTE_BACK = "route-traffic-to-previous-version"
STEPS = f"""
[[rollback.steps]]
id = "{ROUTE_BACK}"
title = "Route traffic to previous version"
action = {{ kind = "rollout" }}
"""


async def engine_at_25(tmp_path: Path, kube: KubeRegions) -> tuple[ConsoleEngine, FrozenClock]:
    """A session on the two fixture clusters whose canary has reached 25 %."""
    plan = parse_plan(plan_text(kube.kubeconfig, INGRESS) + STEPS)
    clock = FrozenClock(plan.launch.t0)
    session = SessionWriter(tmp_path / "s.jsonl", resume=False)
    engine = ConsoleEngine(plan, build_backends(plan, env={}), session=session, clock=clock)
    engine.attach_loop(asyncio.get_running_loop())
    ctl = engine.rollout
    assert ctl is not None
    await ctl.record_start()
    await ctl.apply(5)
    clock.advance(60)  # baked
    await folded(engine)
    assert (await ctl.apply(25)).type == "rollout.applied"
    await folded(engine)
    return engine, clock


def logged(engine: ConsoleEngine) -> list[tuple[str, dict]]:
    assert engine.session is not None
    return [(e.type, e.data) for e in load_events(engine.session.path).events]


def step_error(engine: ConsoleEngine) -> str:
    """The error the last finished step recorded."""
    return str([d for t, d in logged(engine) if t == "rollback.step_finished"][-1]["error"])


@needs_kubectl
async def test_rollout_step_sets_canary_weight_0_and_kubectl_reads_it_back(tmp_path, kube_regions):
    engine, _ = await engine_at_25(tmp_path, kube_regions)
    runner = engine.rollback
    dry = dict((step.id, text) for step, text in await runner.preview())[ROUTE_BACK]
    assert dry.startswith("set the canary weight from 25% to 0%")
    assert '"nginx.ingress.kubernetes.io/canary-weight": "0"' in dry  # the exact patch body
    for ctx in CONTEXTS:  # the dry run changed nothing
        ing = await asyncio.to_thread(
            kubectl, kube_regions, ctx, "get", "ingress", "-n", NS, "api-canary"
        )
        assert ing["metadata"]["annotations"][ANNOTATION] == "25"

    await runner.arm("MusicConnect", "error rate above the trigger")
    run = await runner.run_step(ROUTE_BACK)
    assert run.status == "done", step_error(engine)
    for ctx in CONTEXTS:
        ing = await asyncio.to_thread(
            kubectl, kube_regions, ctx, "get", "ingress", "-n", NS, "api-canary"
        )
        assert ing["metadata"]["annotations"][ANNOTATION] == "0"
    await folded(engine)
    assert engine.rollout is not None and engine.rollout.rollout.weight == 0

    events = logged(engine)
    started = next(i for i, (t, d) in enumerate(events) if t == "rollback.step_started")
    after = [(t, d) for t, d in events[started:] if t.startswith("rollout.")]
    assert [t for t, _ in after] == ["rollout.requested", "rollout.applied"]
    requested, applied = after[0][1], after[1][1]
    assert requested["weight"] == 0 and requested["previous"] == 25
    assert requested["override"] == "", "moving down needs no override"
    assert applied["regions"] == {c: 0 for c in CONTEXTS}  # read back per region
    finished = next(d for t, d in events if t == "rollback.step_finished")
    assert finished["status"] == "done"
    assert finished["output"].splitlines()[-1] == "read back: prod-us-east 0%, prod-eu-west 0%"
    await engine.shutdown()


async def test_rollout_step_fails_when_a_region_does_not_take_it(tmp_path, kube_regions):
    engine, _ = await engine_at_25(tmp_path, kube_regions)
    runner = engine.rollback
    await runner.arm("MusicConnect", "error rate above the trigger")
    kube_regions["prod-eu-west"].fail_with = 503
    run = await runner.run_step(ROUTE_BACK)
    assert run.status == "failed"
    assert "prod-eu-west: HTTP 503" in step_error(engine)
    events = logged(engine)
    failed = [d for t, d in events if t == "rollout.failed"]
    assert len(failed) == 1 and failed[0]["weight"] == 0
    assert failed[0]["regions"] == {"prod-us-east": 0, "prod-eu-west": None}
    # retry once the region answers again: the step stops only when every region is at 0
    kube_regions["prod-eu-west"].fail_with = None
    again = await runner.run_step(ROUTE_BACK)
    assert again.status == "done", step_error(engine)
    east = kube_regions["prod-eu-west"].get("ingresses", "api-canary", NS)
    assert east["metadata"]["annotations"][ANNOTATION] == "0"
    await engine.shutdown()


async def test_rollout_step_never_raises_the_weight(tmp_path, kube_regions):
    plan_steps = STEPS.replace('{ kind = "rollout" }', '{ kind = "rollout", weight = 5 }')
    plan = parse_plan(plan_text(kube_regions.kubeconfig, INGRESS) + plan_steps)
    session = SessionWriter(tmp_path / "u.jsonl", resume=False)
    engine = ConsoleEngine(plan, build_backends(plan, env={}), session=session)
    engine.attach_loop(asyncio.get_running_loop())
    assert engine.rollout is not None
    await engine.rollout.record_start()  # the fixture's canary is at 0
    await folded(engine)
    await engine.rollback.arm("MusicConnect", "drill")
    run = await engine.rollback.run_step(ROUTE_BACK)
    assert run.status == "failed" and "only lowers the weight" in step_error(engine)
    assert [t for t, _ in logged(engine) if t == "rollout.requested"] == []
    await engine.shutdown()
