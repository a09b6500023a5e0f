"""Builds the real console on the demo world with a frozen clock, for Pilot and snapshots."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from tminus.backends.demo import make_world
from tminus.backends.demo.world import DemoWorld
from tminus.backends.factory import build_backends
from tminus.core.clock import FrozenClock
from tminus.engine.console import ConsoleEngine
from tminus.engine.session import SessionWriter
from tminus.plan.loader import default_plan, load_plan
from tminus.plan.model import Plan
from tminus.ui.app import TminusApp

DATA = Path(__file__).parent / "data"


def small_plan() -> Plan:
    return load_plan(DATA / "small_plan.toml")


def make_app(
    session_dir: Path,
    plan: Plan | None = None,
    *,
    read_only: bool = False,
    session_name: str = "test-session",
) -> tuple[TminusApp, ConsoleEngine]:
    plan = plan or default_plan()
    assert plan.backends.demo is not None
    clock = FrozenClock(plan.launch.t0 - timedelta(minutes=15))
    world = make_world(plan.backends.demo, plan.launch.t0, clock)
    backends = build_backends(plan, world=world)
    session = None
    if not read_only:
        session_dir.mkdir(parents=True, exist_ok=True)
        session = SessionWriter(session_dir / f"{session_name}.jsonl", resume=False)
    engine = ConsoleEngine(plan, backends, session=session, clock=clock, read_only=read_only)

    async def start() -> None:
        await engine.start(mode="test", plan_path=plan.source, resumed=False)

    app = TminusApp(engine, remember_theme=False, on_start=start if session else None)
    return app, engine


async def folded(engine: ConsoleEngine, seconds: float = 15.0) -> None:
    """Until every event given to the session writer is folded into the engine's state
    (the writer thread hands them back to this loop): an event to wait for, not a pause."""
    import asyncio
    import time

    session = engine.session
    assert session is not None
    deadline = time.monotonic() + seconds
    while engine.state.last_seq < session.last_seq:
        assert time.monotonic() < deadline, (
            f"events up to seq {session.last_seq} written, {engine.state.last_seq} folded"
        )
        await asyncio.sleep(0.005)


async def until(pilot, condition, what: str = "the condition", *, seconds: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    """Let the app run until `condition()` holds; fail after `seconds` (a slow machine
    gets there later, not never), never after a count of pauses."""
    import time

    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.02)


async def eventually(condition, what: str = "the condition", *, seconds: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    """`until` without an app: sleep on this loop until `condition()` holds."""
    import asyncio
    import time

    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


def demo_console(
    tmp_path: Path, scenario: str, speed: float
) -> tuple[TminusApp, ConsoleEngine, DemoWorld]:
    """`tminus demo --scenario S --speed X` as the command builds it, 15 launch minutes
    before T-0, polling every 200 ms, its session in `tmp_path`."""
    import dataclasses

    from tminus.commands.console import demo_plan
    from tminus.core.clock import ScaledClock

    plan = demo_plan(scenario, speed, 1)
    assert plan.backends.demo is not None
    clock = ScaledClock(plan.launch.t0 - timedelta(minutes=15), speed=speed)
    world = make_world(plan.backends.demo, plan.launch.t0, clock)
    fast = dataclasses.replace(plan.settings, poll_interval=timedelta(milliseconds=200))
    plan = dataclasses.replace(plan, settings=fast)
    session = SessionWriter(tmp_path / "demo.jsonl", resume=False)
    engine = ConsoleEngine(plan, build_backends(plan, world=world), session=session, clock=clock)

    async def start() -> None:
        await engine.start(mode="demo", plan_path="<default plan>", resumed=False)

    return TminusApp(engine, remember_theme=False, on_start=start), engine, world
