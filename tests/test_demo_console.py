"""`tminus demo --scenario bad-release` fires a rollback trigger on the demo world."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from tminus.backends.demo import make_world
from tminus.backends.factory import build_backends
from tminus.commands.console import demo_plan
from tminus.core.clock import ScaledClock
from tminus.engine.console import ConsoleEngine
from tminus.engine.session import SessionWriter, load_events
from tminus.ui.widgets.trigger_banner import TriggerBanner

from console_factory import demo_console


async def test_bad_release_fires_the_error_trigger(tmp_path):
    # speed 60: the one-minute error window and the 30 s hold pass in about 1.5 s
    app, engine, world = demo_console(tmp_path, "bad-release", 60.0)
    session = engine.session
    assert session is not None
    async with app.run_test(size=(120, 40)) as pilot:
        deadline = time.monotonic() + 10
        while not engine.state.rollout.started and time.monotonic() < deadline:
            await asyncio.sleep(0.05)  # the session starts after the first frame
        assert world.weight == 0, "bad-release starts at 0%, like a real launch"
        rollout = engine.rollout
        assert rollout is not None
        for step in (5, 25, 50):  # pushed past the gate, as a hurried commander would
            await rollout.apply(step, reason="test: push through the gate")
        deadline = time.monotonic() + 30
        while not engine.state.firing and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        await pilot.pause()
        assert engine.state.firing, "bad-release never fired a trigger"
        assert app.screen.query_one(TriggerBanner).has_class("firing")
    events = load_events(session.path).events
    fired = [e for e in events if e.type == "trigger.fired"]
    assert any(e.data["trigger"] == "error-rate" for e in fired)
    first = next(e for e in events if e.type.startswith("rollout."))
    assert first.type == "rollout.applied" and first.data["weight"] == 0  # the start, recorded
    assert first.actor == "tminus"


async def test_polling_scales_with_the_demo_speed(tmp_path):
    # the plan's own 5 s poll interval: at speed 60 that is 300 s of launch time between
    # polls unless polling follows the demo's clock; the 30 s hold must read about 30 s
    plan = demo_plan("bad-release", 60.0, 1)
    assert plan.backends.demo is not None
    clock = ScaledClock(plan.launch.t0 - timedelta(minutes=15), speed=60.0)
    world = make_world(plan.backends.demo, plan.launch.t0, clock)
    session = SessionWriter(tmp_path / "demo.jsonl", resume=False)
    engine = ConsoleEngine(plan, build_backends(plan, world=world), session=session, clock=clock)
    engine.attach_loop(asyncio.get_running_loop())
    await engine.start(mode="demo", plan_path="<default plan>", resumed=False)
    try:
        assert engine.rollout is not None
        await engine.rollout.apply(50, reason="test: half the traffic on the bad canary")
        deadline = time.monotonic() + 30
        while not engine.state.firing and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
    finally:
        await engine.shutdown()
    fired = [e.data for e in load_events(session.path).events if e.type == "trigger.fired"]
    error_rate = next(e for e in fired if e["trigger"] == "error-rate")
    hold = next(t for t in plan.triggers if t.id == "error-rate").hold.total_seconds()
    assert hold <= error_rate["held_s"] < hold + 30, error_rate
