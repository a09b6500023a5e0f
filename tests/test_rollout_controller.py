"""RolloutController on the demo world, headless: the gate, the step rule, overrides,
on_trigger, a complete walk with a fast clock, and resume from the log."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from tminus.backends.demo import make_world
from tminus.backends.factory import build_backends
from tminus.core.clock import FrozenClock
from tminus.engine.console import ConsoleEngine
from tminus.engine.events import SessionStarted
from tminus.engine.refusals import ReadOnlyError
from tminus.engine.rollout import RolloutRefused
from tminus.engine.session import SessionWriter, load_events
from tminus.engine.state import fold
from tminus.plan.loader import default_plan
from tminus.plan.model import Plan

from console_factory import eventually, folded

BAKE = 600.0  # the default plan's bake: 10m


def demo(scenario: str = "healthy", **rollout: object) -> Plan:
    plan = default_plan()
    assert plan.backends.demo is not None and plan.rollout is not None
    demo_cfg = dataclasses.replace(plan.backends.demo, scenario=scenario)  # type: ignore[arg-type]
    return dataclasses.replace(
        plan,
        backends=dataclasses.replace(plan.backends, demo=demo_cfg),
        rollout=dataclasses.replace(plan.rollout, **rollout),  # type: ignore[arg-type]
    )


async def engine_for(
    tmp_path: Path, plan: Plan, *, metrics_ok: bool = True, resume: bool = False
) -> tuple[ConsoleEngine, FrozenClock]:
    clock = FrozenClock(plan.launch.t0)
    world = make_world(plan.backends.demo, plan.launch.t0, clock)  # type: ignore[arg-type]
    path = tmp_path / "s.jsonl"
    state = fold(load_events(path).events) if resume else None
    session = SessionWriter(path, resume=resume)
    engine = ConsoleEngine(
        plan, build_backends(plan, world=world), session=session, clock=clock, state=state
    )
    # gating metrics judged by a stand-in here; the Pilot tests use the live poller
    engine.metric_states = lambda: {m.id: "ok" if metrics_ok else "bad" for m in plan.metrics}  # type: ignore[method-assign]
    assert engine.rollout is not None
    engine.rollout.metric_states = engine.metric_states
    import asyncio

    engine.attach_loop(asyncio.get_running_loop())
    if not resume:
        started = SessionStarted.for_plan(plan, session="s", mode="test", plan_path="<plan>")
        await engine.session.emit(started, actor="t")  # type: ignore[union-attr]
        await engine.rollout.record_start()
    await folded(engine)
    return engine, clock


def rollout_events(engine: ConsoleEngine) -> list[tuple[str, str | None, dict]]:
    assert engine.session is not None
    return [
        (e.type, e.actor, e.data)
        for e in load_events(engine.session.path).events
        if e.type.startswith("rollout.")
    ]


async def test_gate_refuses_while_baking_and_override_needs_a_reason(tmp_path):
    engine, clock = await engine_for(tmp_path, demo())
    ctl = engine.rollout
    assert ctl is not None
    await ctl.apply(5)
    await folded(engine)
    assert ctl.rollout.weight == 5
    clock.advance(60)
    gate = ctl.gate()
    assert not gate.open and any("bakes for 9:00" in r for r in gate.reasons)
    with pytest.raises(RolloutRefused):
        await ctl.apply(25)
    with pytest.raises(RolloutRefused):
        await ctl.apply(25, reason="   ")  # blank is no reason
    await ctl.apply(25, reason="exec approved: partner demo at 17:00")
    await folded(engine)
    assert ctl.rollout.weight == 25 and ctl.rollout.override.startswith("exec approved")
    kinds = [(t, d.get("weight"), d.get("override")) for t, _, d in rollout_events(engine)]
    assert ("rollout.requested", 25, "exec approved: partner demo at 17:00") in kinds
    requested = [d for t, _, d in rollout_events(engine) if t == "rollout.requested"][-1]
    assert any("bakes" in r for r in requested["overridden"])
    await engine.shutdown()


async def test_skipping_steps_up_is_refused_down_is_always_allowed(tmp_path):
    engine, clock = await engine_for(tmp_path, demo())
    ctl = engine.rollout
    assert ctl is not None
    with pytest.raises(RolloutRefused, match="skips 5%"):
        await ctl.apply(25)
    await ctl.apply(5)
    await folded(engine)
    clock.advance(BAKE)
    with pytest.raises(RolloutRefused, match="skips 25%, 50%"):
        await ctl.apply(100)
    await ctl.apply(25)
    await folded(engine)
    # down, while baking and with a closed gate: no reason needed
    await ctl.apply(0)
    await folded(engine)
    assert ctl.rollout.weight == 0 and ctl.rollout.previous == 25


async def test_gate_closed_by_a_firing_trigger_and_bad_metric(tmp_path):
    engine, _clock = await engine_for(tmp_path, demo(), metrics_ok=False)
    ctl = engine.rollout
    assert ctl is not None
    reasons = ctl.gate().reasons
    assert any(r.startswith("Error rate is bad") for r in reasons)
    engine.metric_states = lambda: {}  # type: ignore[method-assign]
    ctl.metric_states = lambda: {m.id: "ok" for m in engine.plan.metrics}
    await engine.declare_trigger("data-corruption", "rows missing in orders")
    await folded(engine)
    gate = ctl.gate()
    assert not gate.open and "trigger firing: Data corruption detected" in gate.reasons
    with pytest.raises(RolloutRefused):
        await ctl.apply(5)
    await engine.shutdown()


async def test_on_trigger_hold_records_a_hold(tmp_path):
    engine, _clock = await engine_for(tmp_path, demo(on_trigger="hold"))
    ctl = engine.rollout
    assert ctl is not None
    await ctl.apply(5)
    await folded(engine)
    await engine.declare_trigger("security-breach", "token leaked")
    await folded(engine)
    await folded(engine)
    assert ctl.rollout.weight == 5 and ctl.rollout.held == "security-breach"
    await engine.shutdown()


async def test_on_trigger_zero_sets_zero_as_tminus(tmp_path):
    engine, _clock = await engine_for(tmp_path, demo(on_trigger="zero"))
    ctl = engine.rollout
    assert ctl is not None
    world = engine.backends.demo_world
    await ctl.apply(5)
    await folded(engine)
    assert world.weight == 5
    await engine.declare_trigger("security-breach", "token leaked")
    # the trigger's rollout to 0 runs in a task: wait for it (bounded), not for a count
    # of folds (each returns at once while nothing is written yet)
    await eventually(lambda: ctl.rollout.weight == 0, "the rollout at 0", seconds=15)
    await folded(engine)
    assert world.weight == 0 and ctl.rollout.weight == 0
    last = [e for e in rollout_events(engine) if e[0] == "rollout.applied"][-1]
    assert last[1] == "tminus" and last[2]["weight"] == 0
    assert last[2]["reason"] == "trigger fired: Security breach detected"
    assert last[2]["override"] == ""  # moving down needs none
    await engine.shutdown()


async def test_read_only_engine_refuses(tmp_path):
    plan = demo()
    clock = FrozenClock(plan.launch.t0)
    world = make_world(plan.backends.demo, plan.launch.t0, clock)  # type: ignore[arg-type]
    engine = ConsoleEngine(plan, build_backends(plan, world=world), session=None, read_only=True)
    assert engine.rollout is not None
    with pytest.raises(ReadOnlyError):
        await engine.rollout.apply(0)
    assert world.weight == 0 and world.history == ()  # nothing touched


async def test_full_walk_on_the_demo_world_leaves_the_right_events(tmp_path):
    engine, clock = await engine_for(tmp_path, demo())
    ctl = engine.rollout
    assert ctl is not None
    for step in (5, 25, 50, 100):
        assert not ctl.judge(step).needs_override  # baked, no trigger, metrics ok
        await ctl.apply(step)
        await folded(engine)
        clock.advance(BAKE)  # the fast clock: each step bakes in no time
    assert engine.backends.demo_world.weight == 100
    applied = [
        (d["weight"], d["previous"], d["step"])
        for t, _, d in rollout_events(engine)
        if t == "rollout.applied"
    ]
    assert applied == [(0, 0, 0), (5, 0, 1), (25, 5, 2), (50, 25, 3), (100, 50, 4)]
    types = [t for t, _, _ in rollout_events(engine)]
    assert types == ["rollout.applied"] + ["rollout.requested", "rollout.applied"] * 4
    assert all(
        d["regions"] == {"demo": d["weight"]}
        for t, _, d in rollout_events(engine)
        if t == "rollout.applied"
    )
    await engine.shutdown()


async def test_resume_in_the_middle_of_a_bake_restores_weight_step_and_timer(tmp_path):
    plan = demo()
    engine, clock = await engine_for(tmp_path, plan)
    ctl = engine.rollout
    assert ctl is not None
    await ctl.apply(5)
    await folded(engine)
    clock.advance(BAKE)
    await ctl.apply(25)
    await folded(engine)
    clock.advance(240)
    assert ctl.bake_left() == pytest.approx(360)
    await engine.shutdown()  # a crash: the session is left unfinished

    # a new console on the same log; the world is new, so set it where the old one was
    state = fold(load_events(tmp_path / "s.jsonl").events)
    assert state.rollout.weight == 25
    clock2 = FrozenClock(clock.now())
    world = make_world(plan.backends.demo, plan.launch.t0, clock2)  # type: ignore[arg-type]
    world.set_weight(25)
    session = SessionWriter(tmp_path / "s.jsonl", resume=True)
    again = ConsoleEngine(
        plan, build_backends(plan, world=world), session=session, clock=clock2, state=state
    )
    import asyncio

    again.attach_loop(asyncio.get_running_loop())
    ctl2 = again.rollout
    assert ctl2 is not None
    assert ctl2.rollout.weight == 25 and ctl2.step_of(25) == 2
    assert ctl2.bake_left() == pytest.approx(360)
    assert await ctl2.check_drift() is None  # the read-back agrees with the log
    world.set_weight(50)  # someone moved it by hand while tminus was down
    drift = await ctl2.check_drift()
    assert drift is not None and drift.data["regions"] == {"demo": 50}
    await folded(engine)
    assert not ctl2.gate().open and any(r.startswith("drift") for r in ctl2.gate().reasons)
    await again.shutdown()


async def test_several_series_firing_at_once_set_zero_once(tmp_path):
    import asyncio

    engine, _clock = await engine_for(tmp_path, demo(on_trigger="zero"))
    ctl = engine.rollout
    assert ctl is not None
    await ctl.apply(5)
    await folded(engine)
    await asyncio.gather(ctl.on_trigger("error-rate"), ctl.on_trigger("error-rate"))
    await folded(engine)
    zeros = [e for e in rollout_events(engine) if e[0] == "rollout.applied" and e[1] == "tminus"]
    assert [d["weight"] for _, _, d in zeros] == [0, 0]  # the start, then one change to 0
    await engine.shutdown()
