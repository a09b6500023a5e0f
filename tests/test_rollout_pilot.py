"""The Rollout tab through the real app with real keys (Pilot), on the demo world with a
frozen clock that the tests advance: the gate, overrides, skipping, read-only, on_trigger,
a full walk, and a resume in the middle of a bake."""

from __future__ import annotations

import dataclasses

from tminus.backends.demo import make_world
from tminus.backends.factory import build_backends
from tminus.core.clock import FrozenClock
from tminus.engine.console import ConsoleEngine
from tminus.engine.session import SessionWriter, load_events
from tminus.engine.state import fold
from tminus.plan.loader import default_plan
from tminus.plan.model import Plan
from tminus.ui.app import TminusApp
from tminus.ui.screens.rollout_confirm import RolloutConfirm
from tminus.ui.widgets.rollout_status import RolloutStatus
from tminus.ui.widgets.rollout_view import RolloutView

from console_factory import make_app, until

BAKE = 600
ROLLOUT_TAB = "5"  # three phases, Metrics, then Rollout


def plan_with(**rollout: object) -> Plan:
    plan = default_plan()
    assert plan.rollout is not None
    return dataclasses.replace(plan, rollout=dataclasses.replace(plan.rollout, **rollout))  # type: ignore[arg-type]


def rollout_events(engine: ConsoleEngine) -> list[tuple[str, str | None, dict]]:
    assert engine.session is not None
    return [
        (e.type, e.actor, e.data)
        for e in load_events(engine.session.path).events
        if e.type.startswith("rollout.")
    ]


async def ready(app: TminusApp, pilot) -> None:
    """The session started (its first weight recorded) and the gate's metrics polled."""
    engine = app.engine

    def started_and_ok() -> bool:
        states = engine.metric_states()
        return (
            engine.state.rollout.started
            and bool(states)
            and all(v == "ok" for v in states.values())
        )

    await until(pilot, started_and_ok, "the rollout started and every metric ok")
    await pilot.press(ROLLOUT_TAB)
    await pilot.pause()
    assert app.screen.query_one(RolloutView).has_focus


async def choose_and_apply(app: TminusApp, pilot, steps: int, reason: str | None = None) -> None:
    for _ in range(abs(steps)):
        await pilot.press("right" if steps > 0 else "left")
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, RolloutConfirm), "the confirm dialog")
    if reason:
        await pilot.press(*reason)
    await pilot.press("enter")
    await pilot.pause(0.05)
    await app.workers.wait_for_complete()
    await pilot.pause(0.05)


def view_text(app: TminusApp) -> str:
    return app.screen.query_one(RolloutView).render_text().plain


async def test_walk_0_5_25_50_100_with_a_fast_clock_leaves_the_right_events(tmp_path):
    app, engine = make_app(tmp_path)
    clock = engine.clock
    assert isinstance(clock, FrozenClock)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        for weight in (5, 25, 50, 100):
            await choose_and_apply(app, pilot, 1)
            assert engine.state.rollout.weight == weight
            step = (5, 25, 50, 100).index(weight) + 1
            status = app.screen.query_one(RolloutStatus).render().plain  # type: ignore[union-attr]
            assert status.startswith(f"{step}/4 · {weight}% · 10:00 · ")  # the 80-column form
            clock.advance(BAKE)  # the step bakes
            if weight != 100:
                await until(pilot, lambda: "Gate OPEN" in view_text(app), "the gate open")
        await until(pilot, lambda: engine.backends.demo_world.weight == 100, "the world at 100%")
    applied = [(d["weight"], a) for t, a, d in rollout_events(engine) if t == "rollout.applied"]
    assert applied[0] == (0, "tminus")  # the starting state, recorded
    assert [w for w, _ in applied[1:]] == [5, 25, 50, 100]
    assert all(a == engine.actor for _, a in applied[1:])
    assert all(d["override"] == "" for t, _, d in rollout_events(engine) if t != "rollout.drift")


async def test_gate_refuses_while_baking_override_needs_a_reason_and_is_logged(tmp_path):
    app, engine = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await choose_and_apply(app, pilot, 1)
        assert engine.state.rollout.weight == 5
        assert "Gate CLOSED" in view_text(app) and "step 1 bakes for 10:00 more" in view_text(app)
        await pilot.press("right", "enter")
        await until(pilot, lambda: isinstance(app.screen, RolloutConfirm), "the confirm dialog")
        confirm = app.screen
        assert isinstance(confirm, RolloutConfirm) and confirm.move.needs_override
        await pilot.press("enter")  # no reason typed: refused, the dialog stays
        await pilot.pause()
        assert app.screen is confirm and engine.state.rollout.weight == 5
        await pilot.press(*"vp approved", "enter")
        await pilot.pause(0.05)
        await app.workers.wait_for_complete()
        await pilot.pause(0.05)
        assert engine.state.rollout.weight == 25
    requested = [d for t, _, d in rollout_events(engine) if t == "rollout.requested"][-1]
    assert requested["override"] == "vp approved"
    assert any("bakes" in r for r in requested["overridden"])


async def test_escape_cancels_without_side_effects(tmp_path):
    app, engine = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        before = rollout_events(engine)
        await pilot.press("right", "enter")
        for _ in range(50):
            await pilot.pause(0.02)
            if isinstance(app.screen, RolloutConfirm):
                break
        assert isinstance(app.screen, RolloutConfirm)
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert not isinstance(app.screen, RolloutConfirm)
        assert rollout_events(engine) == before and engine.backends.demo_world.weight == 0


async def test_skipping_steps_needs_an_override(tmp_path):
    app, engine = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await pilot.press("right", "right")
        assert "25% needs an override: skips 5%" in view_text(app)
        await pilot.press("enter")
        for _ in range(50):
            await pilot.pause(0.02)
            if isinstance(app.screen, RolloutConfirm):
                break
        confirm = app.screen
        assert isinstance(confirm, RolloutConfirm)
        assert confirm.move.reasons == ("skips 5%",)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is confirm  # refused without a reason
        await pilot.press("escape")
        await pilot.pause()
    assert engine.backends.demo_world.weight == 0


async def test_read_only_offers_no_rollout_keys_and_changes_nothing(tmp_path):
    app, engine = make_app(tmp_path, read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press(ROLLOUT_TAB)
        await pilot.pause()
        view = app.screen.query_one(RolloutView)
        for action in ("rollout_choose", "rollout_apply", "rollout_retry", "rollout_back"):
            assert view.check_action(action, ()) is False
        keys = {b.binding.key for b in app.screen.active_bindings.values()}
        assert "enter" not in keys or app.screen.active_bindings["enter"].node is not view
        await pilot.press("right", "enter")
        await pilot.pause(0.1)
        assert not isinstance(app.screen, RolloutConfirm)
        assert "Read-only" in view_text(app)
    assert engine.backends.demo_world.weight == 0


async def test_a_firing_trigger_closes_the_gate_and_zero_policy_sets_zero(tmp_path):
    app, engine = make_app(tmp_path, plan_with(on_trigger="zero"))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        assert "on trigger: ZERO" in view_text(app)
        await choose_and_apply(app, pilot, 1)
        assert engine.backends.demo_world.weight == 5
        await engine.declare_trigger("security-breach", "token leaked")
        for _ in range(100):
            await pilot.pause(0.02)
            if engine.state.rollout.weight == 0:
                break
        assert engine.backends.demo_world.weight == 0
        assert "trigger firing: Security breach detected" in view_text(app)
        # moving up now needs an override
        await pilot.press("right", "enter")
        for _ in range(50):
            await pilot.pause(0.02)
            if isinstance(app.screen, RolloutConfirm):
                break
        assert isinstance(app.screen, RolloutConfirm)
        assert "trigger firing: Security breach detected" in app.screen.move.reasons
        await pilot.press("escape")
    zero = [(a, d) for t, a, d in rollout_events(engine) if t == "rollout.applied"][-1]
    assert zero[0] == "tminus" and zero[1]["weight"] == 0


async def test_resume_in_the_middle_of_a_bake_restores_the_timer(tmp_path):
    app, engine = make_app(tmp_path, session_name="resume")
    clock = engine.clock
    assert isinstance(clock, FrozenClock)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await choose_and_apply(app, pilot, 1)
        clock.advance(250)
        await pilot.press("q")
    path = tmp_path / "resume.jsonl"
    # a new console on the same log, 250 s into the 10 min bake
    plan = engine.plan
    clock2 = FrozenClock(clock.now())
    world = make_world(plan.backends.demo, plan.launch.t0, clock2)  # type: ignore[arg-type]
    world.set_weight(5)
    state = fold(load_events(path).events)
    engine2 = ConsoleEngine(
        plan,
        build_backends(plan, world=world),
        session=SessionWriter(path, resume=True),
        clock=clock2,
        state=state,
    )

    async def resume() -> None:
        await engine2.start(mode="test", plan_path=plan.source, resumed=True)

    app2 = TminusApp(engine2, remember_theme=False, on_start=resume)
    async with app2.run_test(size=(120, 40)) as pilot:
        wide = "step 1/4 · 5% · bake 5:50 · gate closed"  # the wide form

        def status() -> str:
            # the main screen is pushed once the app is ready: none before it is composed
            shown = app2.screen.query(RolloutStatus)
            return shown.first().render().plain if shown else ""  # type: ignore[union-attr]

        await until(pilot, lambda: status() == wide, f"the resumed rollout's status: {wide}")
        await pilot.press(ROLLOUT_TAB)
        await pilot.pause()
        assert "bake 5:50 of 10:00" in view_text(app2)
        await pilot.press("q")
    drift = [d for t, _, d in rollout_events(engine2) if t == "rollout.drift"]
    assert drift == []  # the read-back agreed with the log
