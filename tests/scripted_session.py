"""A scripted launch session on the demo world (bad-release), recorded to a real log.

It drives the real engine: checks run against the demo world, a manual confirmation,
a refused sign-off, a metric poll that fires the error-rate trigger, a declared trigger
cleared by a person, a note, and `session.closed` with its outcome. Rollout and rollback
events come with their controllers; the report already describes them (DESCRIBE).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from tminus.backends.demo import make_world
from tminus.backends.factory import build_backends
from tminus.commands.console import demo_plan
from tminus.core.clock import FrozenClock
from tminus.engine.console import ConsoleEngine
from tminus.engine.session import SessionWriter, load_events

PHASE = "pre-launch"
MANUAL = "penetration-testing-completed"


def make_engine(path: Path, actor: str = "alice") -> tuple[ConsoleEngine, FrozenClock]:
    plan = demo_plan("bad-release", 1.0, 1)
    assert plan.backends.demo is not None
    clock = FrozenClock(plan.launch.t0 - timedelta(minutes=15))
    world = make_world(plan.backends.demo, plan.launch.t0, clock)
    world.set_weight(50)
    backends = build_backends(plan, world=world)
    session = SessionWriter(path, resume=False)
    engine = ConsoleEngine(plan, backends, session=session, clock=clock, actor=actor)
    return engine, clock


async def record_session(path: Path, *, close: bool = True) -> list[str]:
    """Run the script; returns the event types written, in order."""
    import asyncio

    engine, clock = make_engine(path)
    engine.attach_loop(asyncio.get_running_loop())
    session = engine.session
    assert session is not None
    await engine.start(mode="demo", plan_path="<default plan>", resumed=False)
    phase = next(p for p in engine.plan.phases if p.id == PHASE)
    ids = [i.id for _, i in phase.items() if i.check is not None][:6]
    await engine.run_checks(ids)
    await engine.confirm(MANUAL, "report PT-2291 signed")
    refused = await engine.sign_off(PHASE, "go?")
    assert refused, "the bad-release world must block the sign-off"
    assert engine.poller is not None
    for _ in range(3):
        clock.advance(60)
        for poll in engine.poller.polls:
            await engine.poller.poll_once(poll)
    await engine.declare_trigger("security-breach", "odd logins from one ASN")
    await engine.clear_trigger("security-breach", "false alarm: pentest traffic")
    await engine.add_note("rolled back at 50%, errors gone")
    if close:
        await engine.close_session("rolled-back", "errors at 50% canary; see incident 88")
    await engine.shutdown()
    await asyncio.sleep(0)
    return [e.type for e in load_events(path).events]
