"""Checks that keep watching, against a real flapping loopback HTTP server."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta

import pytest

from tminus.backends.factory import build_backends
from tminus.core.results import Outcome
from tminus.engine.console import ConsoleEngine
from tminus.engine.session import create_session, load_events
from tminus.engine.watch import current_phase
from tminus.plan.loader import PlanError, parse_plan

from console_factory import eventually
from console_factory import until as pilot_until


def watch_plan(
    base: str, *, concurrency: int = 1, sample_every: str = "1h", extra: str = ""
) -> str:
    t0 = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"""
[launch]
name = "Watch"
t0 = {t0}
[settings]
concurrency = {concurrency}
check_timeout = "5s"
sample_every = "{sample_every}"
fresh_within = "10m"
{extra}
[[phases]]
id = "before"
title = "Before"
at = "-1d"
  [[phases.sections]]
  title = "S"
    [[phases.sections.items]]
    title = "Not current"
    every = "1s"
    check = {{ kind = "http", url = "{base}/health" }}
[[phases]]
id = "now"
title = "Now"
at = "-1h"
every = "1s"
  [[phases.sections]]
  title = "S"
    [[phases.sections.items]]
    title = "Flapping"
    check = {{ kind = "http", url = "{base}/flap" }}
    [[phases.sections.items]]
    title = "Slow"
    check = {{ kind = "http", url = "{base}/slow?ms=300" }}
    [[phases.sections.items]]
    title = "Once"
    every = "1h"
    check = {{ kind = "http", url = "{base}/health" }}
"""


async def test_watch_mode_with_a_flapping_server(http_server):
    http_server.flap_pattern = [200, 200, 503]
    plan = parse_plan(watch_plan(http_server.url))
    session = create_session("watch")
    engine = ConsoleEngine(plan, build_backends(plan), session=session)
    engine.attach_loop(asyncio.get_running_loop())
    assert current_phase(plan, engine.clock.now()).id == "now"
    watcher = engine.watcher
    assert watcher is not None
    assert set(watcher.watched()) == {"flapping", "slow", "once"}
    await engine.start(mode="test", plan_path="plan.toml", resumed=False)
    try:
        await eventually(lambda: watcher.pass_ratio("flapping")[1] >= 6, seconds=20)
        # the loop went on while checks ran: the event loop was never blocked for long
        lag_start = asyncio.get_running_loop().time()
        await asyncio.sleep(0.05)
        assert asyncio.get_running_loop().time() - lag_start < 0.5
    finally:
        await engine.shutdown()
    beats = [b.outcome for b in watcher.history["flapping"]]
    # the pattern of the flapping endpoint shows in the history: pass, pass, fail, ...
    first = beats.index(Outcome.FAIL)
    assert beats[first + 1 : first + 4] == [Outcome.PASS, Outcome.PASS, Outcome.FAIL]
    passed, total = watcher.pass_ratio("flapping")
    assert total == len(beats) and passed == beats.count(Outcome.PASS)
    # the concurrency bound holds for watched re-runs too
    assert http_server.max_in_flight == 1
    # an item of a phase that is not current is not watched; one with every = 1h ran once
    assert http_server.count("/health") == 1
    # the log gets a result only when its outcome changed (sample_every = 1h)
    finished = [e.data for e in load_events(session.path).events if e.type == "check.finished"]
    flaps = [e["result"]["outcome"] for e in finished if e["item"] == "flapping"]
    assert all(a != b for a, b in itertools.pairwise(flaps)), flaps
    assert len(flaps) < len(beats)
    slow = [e for e in finished if e["item"] == "slow"]
    assert len(slow) == 1  # always passing: written once
    assert not any(e.type == "check.started" for e in load_events(session.path).events)


async def test_stale_results_are_named_for_a_sign_off(http_server):
    plan = parse_plan(watch_plan(http_server.url))
    session = create_session("stale")
    engine = ConsoleEngine(plan, build_backends(plan), session=session)
    engine.attach_loop(asyncio.get_running_loop())
    try:
        await engine.run_checks(["once"])
        await asyncio.sleep(0.05)
        phase = plan.phases[1]
        assert engine.stale(phase) == []
        later = datetime.now(UTC) + timedelta(minutes=11)
        engine.wall_now = lambda: later
        assert [item.id for item, _ in engine.stale(phase)] == ["once"]
    finally:
        await engine.shutdown()


def test_every_needs_a_check_and_a_sane_interval():
    base = watch_plan("http://127.0.0.1:1")
    with pytest.raises(PlanError) as err:
        parse_plan(base.replace('every = "1h"', 'every = "10ms"'))
    assert "every: must be at least 1s" in str(err.value)
    manual = (
        base
        + '\n    [[phases.sections.items]]\n    title = "M"\n    manual = true\n    every = "5s"\n'
    )
    with pytest.raises(PlanError) as err:
        parse_plan(manual)
    assert "only an automated check can be watched" in str(err.value)


async def test_watched_item_shows_its_history_bar_and_a_stale_sign_off_offers_a_rerun(tmp_path):
    import dataclasses as dc

    from tminus.engine.session import load_events
    from tminus.ui.screens.signoff import SignOffScreen

    from console_factory import make_app, small_plan

    plan = small_plan()
    ready = dc.replace(plan.phases[0], every=timedelta(seconds=1))
    settings = dc.replace(plan.settings, fresh_within=timedelta(minutes=1))
    plan = dc.replace(plan, phases=(ready, *plan.phases[1:]), settings=settings)
    app, engine = make_app(tmp_path, plan)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        watcher = engine.watcher
        assert watcher is not None
        await eventually(lambda: watcher.pass_ratio("smoke-test")[1] >= 1, seconds=20)
        for _ in range(3):  # the frozen launch clock moves only when told
            engine.clock.advance(1.5)
            runs = watcher.runs_done
            await eventually(lambda runs=runs: watcher.runs_done > runs, seconds=20)
        await pilot.press("down")  # the smoke test
        await pilot_until(
            pilot,
            lambda: "Smoke test" in str(app.screen.query_one("#detail-ready #detail-body").content),
            "the smoke test's detail",
        )
        detail = str(app.screen.query_one("#detail-ready #detail-body").content)
        assert "watched every 1s" in detail
        assert "✔✔✔✔ 4/4 passed (100%)" in detail
        # a person confirms the manual item; a while later the check's result is stale
        await pilot.press("down", "c")
        await pilot.pause()
        await pilot.press(*"restored", "enter")
        await pilot.pause(0.3)
        await watcher.stop()
        later = engine.wall_now() + timedelta(minutes=5)
        engine.wall_now = lambda: later
        await pilot.press("g")
        await pilot_until(pilot, lambda: isinstance(app.screen, SignOffScreen), "the sign-off")
        stale = str(app.screen.query_one("#stale").content)
        assert "Smoke test" in stale and "older than fresh_within" in stale
        await pilot.press("ctrl+r")
        await pilot.pause()
        for task in list(engine._run_tasks):
            await task
        await pilot.pause()
        assert not isinstance(app.screen, SignOffScreen)
    started = [e for e in load_events(engine.session.path).events if e.type == "check.started"]
    assert [e.data["item"] for e in started] == ["smoke-test"]  # the re-run, recorded
