"""The guarded rollback through the real app, keys pressed with Pilot, on the demo world.

Each test checks what the screen offers and what the session log on disk holds.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from rollback_keys import NAME, arm, choose, decision, open_rollback, type_text, until
from tminus.engine.console import ConsoleEngine
from tminus.engine.rollback import RollbackRefused
from tminus.engine.session import load_events
from tminus.engine.trigger_lifecycle import TriggerRefused
from tminus.ui.screens.arm_rollback import ArmRollback
from tminus.ui.screens.rollback_screen import RollbackScreen
from tminus.ui.screens.step_decision import StepDecision
from tminus.ui.widgets.rollback_steps import RollbackSteps
from tminus.ui.widgets.trigger_banner import TriggerBanner

from console_factory import make_app


def log_types(engine: ConsoleEngine, prefix: str = "rollback.") -> list[str]:
    assert engine.session is not None
    return [e.type for e in load_events(engine.session.path).events if e.type.startswith(prefix)]


def log(engine: ConsoleEngine, prefix: str = "rollback."):
    assert engine.session is not None
    return [e for e in load_events(engine.session.path).events if e.type.startswith(prefix)]


@pytest.fixture
def session_dir(tmp_path: Path) -> Path:
    return tmp_path / "sessions"


async def test_arming_is_refused_for_a_wrong_name(session_dir):
    app, engine = make_app(session_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_rollback(app, pilot)
        await arm(app, pilot, name="musicconnect")
        await pilot.pause()
        assert isinstance(app.screen, ArmRollback), "a wrong name must not arm"
        assert "does not match" in str(app.screen.query_one("#arm-error").render())
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, RollbackScreen))
        with pytest.raises(RollbackRefused, match="launch name exactly"):
            await engine.rollback.arm("MusicConnect ", "errors up")
        assert engine.state.rollback.phase == "idle"
    assert log_types(engine) == []


async def test_escape_cancels_at_every_point_without_side_effects(session_dir):
    app, engine = make_app(session_dir)
    world = engine.backends.demo_world
    assert world is not None
    async with app.run_test(size=(120, 40)) as pilot:
        await open_rollback(app, pilot)
        await pilot.press("a")  # escape from the arming dialog, half typed
        await until(pilot, lambda: isinstance(app.screen, ArmRollback))
        await type_text(pilot, NAME)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, RollbackScreen))
        assert log_types(engine) == []
        await arm(app, pilot)
        await until(pilot, lambda: engine.state.rollback.phase == "armed")
        world.fail_next("maintenance-on")
        await pilot.press("r")  # the first step fails; escape from the choice pauses
        screen = await decision(app, pilot)
        assert screen.situation == "failed"
        before = log_types(engine)
        effects = list(world.effects)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, RollbackScreen))
        await app.workers.wait_for_complete()
        assert log_types(engine) == before
        assert world.effects == effects
        assert engine.state.rollback.phase == "armed"
    assert before == ["rollback.armed", "rollback.step_started", "rollback.step_finished"]


async def test_dangerous_step_asks_again_and_defaults_to_not_running(session_dir):
    app, engine = make_app(session_dir)
    world = engine.backends.demo_world
    assert world is not None
    async with app.run_test(size=(120, 40)) as pilot:
        await open_rollback(app, pilot)
        await arm(app, pilot)
        await until(pilot, lambda: engine.state.rollback.phase == "armed")
        await pilot.press("r")
        screen = await decision(app, pilot)
        assert screen.step.title == "Restore database from backup if needed"
        assert screen.situation == "dangerous"
        # the highlighted answer is not to run it; enter then asks for the reason
        await pilot.press("enter")
        await type_text(pilot, "no data loss seen")
        await pilot.press("enter")
        screen = await decision(app, pilot)  # the next person-step: a manual one
        assert screen.step.title == "Communicate status to users"
        run = engine.rollback.run_of("restore-database-from-backup-if-needed")
        assert run.status == "skipped" and run.note == "no data loss seen"
        assert all(effect != "restore-database" for _, effect in world.effects)
        await pilot.press("escape")
    with pytest.raises(RollbackRefused, match="dangerous"):
        # the engine refuses too: a dangerous step never runs unconfirmed
        engine.rollback.read_only = False
        engine.state.rollback.steps.pop("restore-database-from-backup-if-needed")
        await engine.rollback.run_step("restore-database-from-backup-if-needed")


@pytest.mark.parametrize("choice", ["retry", "skip", "abort"])
async def test_a_failing_step_stops_and_offers_retry_skip_abort(session_dir, choice):
    app, engine = make_app(session_dir)
    world = engine.backends.demo_world
    assert world is not None
    world.fail_next("maintenance-on")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_rollback(app, pilot)
        await arm(app, pilot)
        await until(pilot, lambda: engine.state.rollback.phase == "armed")
        await pilot.press("r")
        screen = await decision(app, pilot)
        assert screen.situation == "failed"
        first = "enable-maintenance-mode"
        assert engine.rollback.run_of(first).status == "failed"
        # the sequence stopped: the second step has not started
        assert engine.rollback.run_of("route-traffic-to-previous-version").status == "pending"
        assert world.weight == 0 and world.effects == []
        await choose(pilot, screen, choice, "" if choice == "retry" else f"{choice} reason")
        if choice == "abort":
            await until(pilot, lambda: engine.state.rollback.phase == "aborted")
            assert engine.state.rollback.abort_reason == "abort reason"
        else:
            await decision(app, pilot)  # on to the dangerous step
            status = engine.rollback.run_of(first).status
            assert status == ("done" if choice == "retry" else "skipped")
            assert engine.rollback.run_of("route-traffic-to-previous-version").status == "done"
            await pilot.press("escape")
    events = log(engine)
    finished = [e.data["status"] for e in events if e.type == "rollback.step_finished"]
    assert finished[0] == "failed"
    if choice == "retry":
        assert finished[1] == "done"
        assert [e for e in events if e.type == "rollback.step_started"][1].data["step"] == first
        assert world.maintenance
    elif choice == "skip":
        assert finished[1] == "skipped" and not world.maintenance
    else:
        assert events[-1].type == "rollback.aborted"
        assert engine.rollback.current() is not None


async def test_read_only_console_cannot_arm(session_dir):
    app, engine = make_app(session_dir, read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_rollback(app, pilot)
        for action in ("arm", "proceed", "acknowledge", "withdraw"):
            assert screen.check_action(action, ()) is False, action
        footer_keys = {k for k, b in screen.active_bindings.items() if b.enabled}
        assert "a" not in footer_keys and "r" not in footer_keys
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, RollbackScreen)  # no arming dialog
        assert "read-only" in str(screen.query_one(RollbackSteps).render())
    with pytest.raises(RollbackRefused, match="read-only"):
        await engine.rollback.arm(NAME, "x")


async def test_whole_rollback_leaves_events_for_every_step(session_dir):
    app, engine = make_app(session_dir)
    world = engine.backends.demo_world
    assert world is not None
    world.set_weight(50)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_rollback(app, pilot)
        await arm(app, pilot)
        await until(pilot, lambda: engine.state.rollback.phase == "armed")
        await pilot.press("r")
        answers = {
            "dangerous": ("skip", "no corruption"),
            "manual": ("done", "status page updated"),
        }
        while engine.state.rollback.phase == "armed":
            await until(
                pilot,
                lambda: (
                    isinstance(app.screen, StepDecision) or engine.state.rollback.phase != "armed"
                ),
                seconds=30,
            )
            if isinstance(app.screen, StepDecision):
                screen = app.screen
                choice, text = answers[screen.situation]
                await choose(pilot, screen, choice, text)
                await until(pilot, lambda s=screen: app.screen is not s)
        await pilot.pause()
        assert engine.state.rollback.phase == "completed"
        assert app.screen.query_one("#rollback-badge").render().plain == "ROLLED BACK"  # type: ignore[attr-defined]
    assert world.weight == 0 and not world.maintenance
    events = log(engine)
    steps = engine.plan.rollback.steps
    for step in steps:
        kinds = [e.type for e in events if e.data.get("step") == step.id]
        if step.dangerous:
            assert kinds == ["rollback.step_finished"], step.id
        else:
            assert kinds == ["rollback.step_started", "rollback.step_finished"], step.id
        finished = next(
            e for e in events if e.type == "rollback.step_finished" and e.data["step"] == step.id
        )
        assert finished.actor == engine.actor
    assert events[0].type == "rollback.armed" and events[0].data["reason"] == "errors up"
    assert events[-1].type == "rollback.completed"
    assert events[-1].data["outcome"] == "rolled back, 1 step skipped"
    route = next(
        e
        for e in events
        if e.type == "rollback.step_finished"
        and e.data["step"] == "route-traffic-to-previous-version"
    )
    assert "read back: demo 0%" in route.data["output"]


async def test_trigger_lifecycle_acknowledge_clear_withdraw(session_dir):
    app, engine = make_app(session_dir)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        await engine.declare_trigger("data-corruption", "orders table has duplicates")
        await pilot.pause()
        banner = app.screen.query_one(TriggerBanner)
        since = engine.state.triggers["data-corruption"].since
        assert since is not None
        fired = datetime.fromisoformat(since.replace("Z", "+00:00"))
        engine.wall_now = lambda: fired + timedelta(seconds=130)
        banner.refresh_banner()
        text = str(banner.render())
        assert f"since {fired:%H:%M} UTC (for 2m10s)" in text, text
        assert "orders table has duplicates" in text
        screen = await open_rollback(app, pilot)
        assert screen.check_action("acknowledge", ()) is True
        await pilot.press("k")
        await pilot.press("enter")
        await type_text(pilot, "on it")
        await pilot.press("enter")
        await until(
            pilot, lambda: engine.state.triggers["data-corruption"].acknowledged is not None
        )
        ack = engine.state.triggers["data-corruption"].acknowledged
        assert ack is not None and ack.actor == engine.actor and ack.note == "on it"
        await pilot.pause()
        assert f"ack by {engine.actor}: on it" in str(
            screen.query_one("#rollback-triggers").render()
        )
        await pilot.press("w")  # withdraw: it was a mistake
        await pilot.press("enter")
        await type_text(pilot, "test data")
        await pilot.press("enter")
        await until(pilot, lambda: not engine.state.triggers["data-corruption"].firing)
        assert engine.state.triggers["data-corruption"].withdrawn is not None
        await engine.declare_trigger("data-corruption", "for real this time")
        await pilot.pause()
        assert engine.state.triggers["data-corruption"].acknowledged is None  # a new firing
        await pilot.press("c")  # clear by a person, with a note
        await pilot.press("enter")
        await type_text(pilot, "fixed")
        await pilot.press("enter")
        await until(pilot, lambda: not engine.state.triggers["data-corruption"].firing)
        await pilot.pause()
        assert screen.check_action("withdraw", ()) is False
    with pytest.raises(TriggerRefused, match="not firing"):
        await engine.acknowledge_trigger("data-corruption", "late")
    events = log(engine, "trigger.")
    assert [e.type for e in events] == [
        "trigger.declared",
        "trigger.acknowledged",
        "trigger.withdrawn",
        "trigger.declared",
        "trigger.cleared",
    ]
    assert events[2].data["reason"] == "test data"
    assert events[4].data["note"] == "fixed" and events[4].actor == engine.actor


async def test_resume_shows_an_interrupted_step_as_interrupted(session_dir):
    from tminus.engine.events import SessionStarted
    from tminus.engine.session import SessionWriter
    from tminus.engine.state import fold
    from tminus.plan.loader import default_plan

    path = session_dir / "r.jsonl"
    session_dir.mkdir(parents=True)
    with SessionWriter(path, resume=False) as w:
        w.append(SessionStarted.for_plan(default_plan(), session="r", mode="run", plan_path="p"))
        w.append("rollback.armed", actor="a@b", reason="x", triggers=[], steps=[])
        w.append("rollback.step_started", actor="a@b", step="enable-maintenance-mode")
    with SessionWriter(path, resume=True) as w:
        w.append("session.resumed", version="0")
    state = fold(load_events(path).events)
    assert state.rollback.steps["enable-maintenance-mode"].status == "interrupted"
    assert state.rollback.phase == "armed"
    await asyncio.sleep(0)


async def test_banner_shows_the_live_value_not_the_firing_value(session_dir):
    from tminus.ui.widgets.trigger_banner import banner_text

    app, engine = make_app(session_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert engine.session is not None and engine.poller is not None
        await until(pilot, lambda: engine.state.started is not None)  # polling has begun
        await engine.poller.stop()  # a real poll of the healthy world would clear it
        await engine.session.emit(
            "trigger.fired",
            trigger="error-rate",
            metric="error_rate",
            value=0.08,
            condition="> 5%",
            held_s=30.0,
            series='region="us-east"',
            labels={"region": "us-east"},
        )
        engine.poller.series["error_rate"].add(engine.clock.now(), 0.02)
        await pilot.pause()
        text = banner_text(engine)
        assert "now 2%" in text and "8%" not in text, text
        assert "in region=us-east" in text
