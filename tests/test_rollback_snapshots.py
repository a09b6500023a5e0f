"""Snapshots of the rollback screen, armed and running, at 80x24 and 120x40.

The clock, the event times and the actor are fixed so the screens are the same every run.
Update with `pytest tests/test_rollback_snapshots.py --snapshot-update` and look at them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from rollback_keys import NAME, type_text, until
from tminus.backends.demo import make_world
from tminus.backends.factory import build_backends
from tminus.commands.console import demo_plan
from tminus.core.clock import FrozenClock
from tminus.engine import session as session_module
from tminus.engine.console import ConsoleEngine
from tminus.engine.events import SessionStarted
from tminus.engine.session import SessionWriter
from tminus.ui.app import TminusApp
from tminus.ui.screens.rollback_screen import RollbackScreen

FIXED = datetime(2026, 12, 4, 16, 42, tzinfo=UTC)
ACTOR = "commander@bastion"


def make(tmp_path: Path) -> tuple[TminusApp, ConsoleEngine]:
    plan = demo_plan("bad-release", 1.0, 1)
    assert plan.backends.demo is not None
    clock = FrozenClock(plan.launch.t0 + timedelta(minutes=42))
    world = make_world(plan.backends.demo, plan.launch.t0, clock)
    world.set_weight(50)
    clock.advance(300)
    session = SessionWriter(tmp_path / "snap.jsonl", resume=False)
    engine = ConsoleEngine(
        plan, build_backends(plan, world=world), session=session, clock=clock, actor=ACTOR
    )
    engine.wall_now = lambda: FIXED + timedelta(minutes=2, seconds=10)

    async def start() -> None:
        # no polling loops: one poll of each metric, so every value shown is the same each run
        assert engine.session is not None and engine.poller is not None
        started = SessionStarted.for_plan(plan, session="snap", mode="test", plan_path="<p>")
        await engine.session.emit(started)
        for poll in engine.poller.polls:
            await engine.poller.poll_once(poll)
        await engine.session.emit(
            "trigger.fired",
            trigger="error-rate",
            metric="error_rate",
            value=0.064,
            condition="> 5%",
            held_s=30.0,
        )

    return TminusApp(engine, remember_theme=False, on_start=start), engine


@pytest.fixture(autouse=True)
def _fixed_event_times(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(session_module, "now_utc", lambda: FIXED)


def _armed(engine: ConsoleEngine):
    async def run_before(pilot) -> None:
        app = pilot.app
        await until(pilot, lambda: bool(engine.state.firing))
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, RollbackScreen))
        await pilot.press("a")
        await pilot.pause()
        await type_text(pilot, NAME)
        await pilot.press("tab")
        await type_text(pilot, "errors over 5% on the canary")
        await pilot.press("enter")
        await until(pilot, lambda: engine.state.rollback.phase == "armed")
        await app.workers.wait_for_complete()
        app.clear_notifications()
        await pilot.pause()

    return run_before


def _running(engine: ConsoleEngine):
    armed = _armed(engine)

    async def run_before(pilot) -> None:
        await armed(pilot)
        runner = engine.rollback
        await runner.run_step("enable-maintenance-mode")
        await runner.run_step("route-traffic-to-previous-version")
        # the restore step shown mid-run, as a console that is running it shows it
        assert engine.session is not None
        await engine.session.emit(
            "rollback.step_started",
            actor=ACTOR,
            step="restore-database-from-backup-if-needed",
            kind="demo",
        )
        await pilot.pause()
        pilot.app.clear_notifications()
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_rollback_armed(snap_compare, tmp_path, size):
    app, engine = make(tmp_path)
    assert snap_compare(app, terminal_size=size, run_before=_armed(engine))


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_rollback_running(snap_compare, tmp_path, size):
    app, engine = make(tmp_path)
    assert snap_compare(app, terminal_size=size, run_before=_running(engine))
