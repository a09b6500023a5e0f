"""The rollback runner headless: what it refuses, whatever a screen offers."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from tminus.backends.demo import make_world
from tminus.backends.factory import build_backends
from tminus.core.clock import FrozenClock
from tminus.engine.console import ConsoleEngine
from tminus.engine.rollback import Decision, RollbackRefused
from tminus.engine.session import SessionWriter
from tminus.plan.loader import default_plan, parse_plan

MAINT = "enable-maintenance-mode"
ROUTE = "route-traffic-to-previous-version"
RESTORE = "restore-database-from-backup-if-needed"


async def engine_on_demo(tmp_path: Path) -> ConsoleEngine:
    plan = default_plan()
    assert plan.backends.demo is not None
    clock = FrozenClock(plan.launch.t0 - timedelta(minutes=15))
    world = make_world(plan.backends.demo, plan.launch.t0, clock)
    session = SessionWriter(tmp_path / "e.jsonl", resume=False)
    engine = ConsoleEngine(plan, build_backends(plan, world=world), session=session, clock=clock)
    engine.attach_loop(asyncio.get_running_loop())  # an awaited intent sees its own fold
    return engine


async def test_runner_refuses_what_no_screen_offers(tmp_path):
    engine = await engine_on_demo(tmp_path)
    runner = engine.rollback
    with pytest.raises(RollbackRefused, match="arm the rollback first"):
        await runner.run_step(MAINT)
    with pytest.raises(RollbackRefused, match="reason"):
        await runner.arm("MusicConnect", "  ")
    await runner.arm("MusicConnect", "errors")
    with pytest.raises(RollbackRefused, match="already armed"):
        await runner.arm("MusicConnect", "again")
    with pytest.raises(RollbackRefused, match="in order"):
        await runner.run_step(ROUTE)
    with pytest.raises(RollbackRefused, match="neither optional nor failed"):
        await runner.skip(MAINT, "do not feel like it")
    await runner.run_step(MAINT)
    await runner.run_step(ROUTE)
    with pytest.raises(RollbackRefused, match="dangerous"):
        await runner.run_step(RESTORE)
    with pytest.raises(RollbackRefused, match="reason is required"):
        await runner.skip(RESTORE, "")
    with pytest.raises(RollbackRefused, match="reason is required"):
        await runner.abort(" ")
    await runner.skip(RESTORE, "no corruption")
    assert runner.current() is not None and runner.current().id == "clear-caches"  # type: ignore[union-attr]
    assert engine.session is not None
    engine.session.close()


async def test_manual_steps_need_a_note(tmp_path):
    engine = await engine_on_demo(tmp_path)
    runner = engine.rollback
    await runner.arm("MusicConnect", "errors")
    for step in runner.steps[:5]:
        if step.dangerous:
            await runner.skip(step.id, "not needed")
        else:
            await runner.run_step(step.id, confirmed=True)
        manual = runner.current()
    assert manual is not None and manual.action is None
    with pytest.raises(RollbackRefused, match="done by a person"):
        await runner.run_step(manual.id)
    with pytest.raises(RollbackRefused, match="note is required"):
        await runner.confirm_manual(manual.id, "")
    await runner.confirm_manual(manual.id, "status page updated")
    assert runner.run_of(manual.id).status == "done"
    assert runner.run_of(manual.id).note == "status page updated"
    assert engine.session is not None
    engine.session.close()


OPTIONAL_PLAN = """
[launch]
name = "Opt"
t0 = 2026-12-04T16:00:00Z

[backends.demo]
scenario = "healthy"

[[rollback.steps]]
title = "Purge the CDN"
action = { kind = "demo", effect = "clear-caches" }
optional = true

[[rollback.steps]]
title = "Maintenance off"
action = { kind = "demo", effect = "maintenance-off" }
"""


class Answers:
    """The console's side of proceed(): here, a script of answers, and what was asked."""

    def __init__(self, *answers: Decision | None) -> None:
        self.answers = list(answers)
        self.asked: list[tuple[str, str]] = []

    async def decide(self, step, situation, run):  # type: ignore[no-untyped-def]
        self.asked.append((step.id, situation))
        return self.answers.pop(0)


async def test_optional_steps_are_offered_never_run_silently(tmp_path):
    plan = parse_plan(OPTIONAL_PLAN, "opt.toml")
    assert plan.backends.demo is not None
    clock = FrozenClock(plan.launch.t0)
    world = make_world(plan.backends.demo, plan.launch.t0, clock)
    session = SessionWriter(tmp_path / "o.jsonl", resume=False)
    engine = ConsoleEngine(plan, build_backends(plan, world=world), session=session, clock=clock)
    engine.attach_loop(asyncio.get_running_loop())
    await engine.rollback.arm("Opt", "test")
    paused = Answers(None)
    await engine.rollback.proceed(paused)
    assert paused.asked == [("purge-the-cdn", "optional")]
    assert world.effects == []  # escape: nothing ran, nothing recorded
    skip = Answers(Decision("skip", "CDN is fine"))
    await engine.rollback.proceed(skip)
    assert [e for _, e in world.effects] == ["maintenance-off"]
    assert engine.state.rollback.phase == "completed"
    assert engine.state.rollback.outcome == "rolled back, 1 step skipped"
    session.close()
