"""The bad-release story end to end on the demo world: traffic goes up (through the Rollout
tab, from the 0 % the scenario starts at), a trigger fires,
the commander arms and runs the rollback, errors and availability return to normal and
every trigger clears. The session log on disk is checked."""

from __future__ import annotations

import time

from rollback_keys import arm, choose, open_rollback, type_text, until
from tminus.engine.session import load_events
from tminus.ui.app import TminusApp
from tminus.ui.screens.rollout_confirm import RolloutConfirm
from tminus.ui.screens.step_decision import StepDecision
from tminus.ui.widgets.rollout_view import RolloutView

from console_factory import demo_console

SPEED = 60.0  # a one-minute window passes in a second
ROLLOUT_TAB = "5"  # three phases, Metrics, then Rollout
RAISED = 50  # half the traffic on the bad version: the error-rate trigger fires


async def raise_traffic(app: TminusApp, pilot, weight: int) -> None:
    """On the Rollout tab: choose `weight` with the arrows, preview, give the override
    reason (it skips steps and the gate has not opened yet) and confirm."""
    engine = app.engine
    await until(pilot, lambda: engine.state.rollout.started)  # the start weight is recorded
    assert engine.rollout is not None and engine.rollout.rollout.weight == 0
    await pilot.press(ROLLOUT_TAB)
    await until(pilot, lambda: app.screen.query_one(RolloutView).has_focus)
    for _ in range(engine.rollout.ladder.index(weight)):
        await pilot.press("right")
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, RolloutConfirm))
    await type_text(pilot, "drill of the bad release")
    await pilot.press("enter")
    await until(pilot, lambda: engine.state.rollout.weight == weight)


async def test_bad_release_rolled_back_and_every_trigger_clears(tmp_path):
    app, engine, world = demo_console(tmp_path, "bad-release", SPEED)
    session = engine.session
    assert session is not None
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await raise_traffic(app, pilot, RAISED)
        assert world.weight == RAISED
        await until(pilot, lambda: "error-rate" in {t.id for t in engine.state.firing}, seconds=30)
        await open_rollback(app, pilot)
        await arm(app, pilot, reason="errors over 5% on the canary")
        await until(pilot, lambda: engine.state.rollback.phase == "armed")
        await pilot.press("r")
        answers = {"dangerous": ("skip", "no data loss"), "manual": ("done", "done")}
        deadline = time.monotonic() + 90
        while engine.state.rollback.phase == "armed" and time.monotonic() < deadline:
            await until(
                pilot,
                lambda: (
                    isinstance(app.screen, StepDecision)
                    or engine.state.rollback.phase != "armed"
                    or (not engine.rollback.can_proceed and engine.rollback.running is None)
                ),
                seconds=60,
            )
            if isinstance(app.screen, StepDecision):
                screen = app.screen
                choice, text = answers[screen.situation]  # a failure here fails the test
                await choose(pilot, screen, choice, text)
                await until(pilot, lambda s=screen: app.screen is not s)
            elif engine.state.rollback.phase == "armed":
                break
        assert engine.state.rollback.phase == "completed", engine.state.rollback
        await until(pilot, lambda: not engine.state.firing, seconds=60)
        assert engine.poller is not None
        errors = engine.poller.series["error_rate"].last_value
        availability = engine.poller.series["availability"].last_value
        assert errors is not None and errors < 0.001
        assert availability == 1.0
        assert "ROLLED BACK" in str(app.screen.query_one("#rollback-badge").render())
    events = load_events(session.path).events
    types = [e.type for e in events]
    fired = {e.data["trigger"] for e in events if e.type == "trigger.fired"}
    cleared = {e.data["trigger"] for e in events if e.type == "trigger.cleared"}
    assert "error-rate" in fired and "outage" in fired  # maintenance mode takes the site down
    assert fired <= cleared
    armed = next(e for e in events if e.type == "rollback.armed")
    assert "error-rate" in armed.data["triggers"] and armed.actor == engine.actor
    assert types.index("rollback.armed") < types.index("rollback.completed")
    completed = next(e for e in events if e.type == "rollback.completed")
    assert completed.data["outcome"] == "rolled back, 1 step skipped"
    assert world.weight == 0 and not world.maintenance
    raised = next(e for e in events if e.type == "rollout.applied" and e.data["weight"] == RAISED)
    assert raised.data["override"] == "drill of the bad release" and raised.actor == engine.actor
    route = next(
        i
        for i, e in enumerate(events)
        if e.type == "rollback.step_started"
        and e.data["step"] == "route-traffic-to-previous-version"
    )
    back = [e for e in events[route:] if e.type.startswith("rollout.")]
    assert [e.type for e in back[:2]] == ["rollout.requested", "rollout.applied"]
    assert back[1].data["weight"] == 0 and back[1].data["previous"] == RAISED
    verify = [
        e
        for e in events
        if e.type == "rollback.step_finished" and e.data["step"] == "verify-system-stability"
    ]
    assert verify[-1].data["status"] == "done" and "all passed" in verify[-1].data["output"]
