"""`tminus run`: resume, --new, a second console read-only and following live; and the
console's trigger, criterion and metric-chart screens on the demo world."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from textual.widgets import TabbedContent

from tminus.commands.console import prepare_run
from tminus.engine.session import load_events
from tminus.plan.loader import load_plan
from tminus.ui.app import TminusApp
from tminus.ui.screens.choose_with_note import ChooseWithNote
from tminus.ui.screens.metric_detail import MetricDetailScreen
from tminus.ui.widgets.trigger_banner import TriggerBanner

from console_factory import DATA, make_app

SMALL = DATA / "small_plan.toml"


async def run_app(prepared, body) -> None:
    app = TminusApp(prepared.engine, remember_theme=False, on_start=prepared.start)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await body(app, pilot)
        await app.workers.wait_for_complete()
        await pilot.pause()
        await prepared.engine.shutdown()


async def test_run_resumes_the_unfinished_session_and_new_starts_another():
    plan = load_plan(SMALL)
    path = str(SMALL.resolve())
    first = prepare_run(plan, path, read_only=False, new=False)

    async def confirm(app, pilot):
        await pilot.press("down", "down", "c")
        await pilot.pause()
        await pilot.press(*"done", "enter")
        await pilot.pause()

    await run_app(first, confirm)
    first_path = first.engine.session.path
    second = prepare_run(plan, path, read_only=False, new=False)
    assert second.engine.session.path == first_path  # resumed
    assert second.engine.state.items["backups-restored"].confirmed is not None

    async def nothing(app, pilot):
        assert str(app.screen.query_one("#checklist-ready").get_row("backups-restored")[0]) == "●"

    await run_app(second, nothing)
    types = [e.type for e in load_events(first_path).events]
    assert types[0] == "session.started" and "session.resumed" in types
    third = prepare_run(plan, path, read_only=False, new=True)
    assert third.engine.session.path != first_path
    third.engine.session.close(mark_closed=False)


async def test_second_console_is_read_only_and_follows_live():
    plan = load_plan(SMALL)
    path = str(SMALL.resolve())
    writer = prepare_run(plan, path, read_only=False, new=True)
    app_w = TminusApp(writer.engine, remember_theme=False, on_start=writer.start)
    async with app_w.run_test(size=(120, 40)) as pilot_w:
        await pilot_w.pause()
        observer = prepare_run(plan, path, read_only=False, new=False)
        assert observer.engine.read_only and "open for writing by" in observer.notice
        app_r = TminusApp(observer.engine, remember_theme=False, on_start=observer.start)
        async with app_r.run_test(size=(120, 40)) as pilot_r:
            await pilot_r.pause()
            assert app_r.screen.query_one("#read-only")
            await pilot_w.press("down", "r")  # the writer runs the smoke test
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                st = observer.engine.state.items.get("smoke-test")
                if st is not None and st.last is not None:
                    break
                await asyncio.sleep(0.2)
            st = observer.engine.state.items.get("smoke-test")
            assert st is not None and st.last is not None and st.last.outcome == "pass"
            await pilot_r.pause()
            row = app_r.screen.query_one("#checklist-ready").get_row("smoke-test")
            assert str(row[0]) == "✔"
            await observer.engine.shutdown()
        await writer.engine.shutdown()


async def test_declare_a_manual_trigger(tmp_path: Path):
    app, engine = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ChooseWithNote)
        await pilot.press("down", "enter")  # the second manual trigger: security breach
        await pilot.press(*"odd logins from one ASN", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert [t.id for t in engine.state.firing] == ["security-breach"]
        banner = app.screen.query_one(TriggerBanner)
        assert banner.has_class("firing") and "odd logins" in str(banner.content)
        await pilot.press("x")  # from the banner: the rollback screen
        await pilot.pause()
        from tminus.ui.screens.rollback_screen import RollbackScreen

        assert isinstance(app.screen, RollbackScreen)
        assert "● FIRING Security breach detected" in str(
            app.screen.query_one("#rollback-triggers").render()
        )
    (declared,) = [
        e for e in load_events(engine.session.path).events if e.type == "trigger.declared"
    ]
    assert declared.data["note"] == "odd logins from one ASN" and declared.actor


async def test_confirm_a_success_criterion_on_the_metrics_tab(tmp_path: Path):
    app, engine = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("4")  # Metrics
        await pilot.pause()
        assert app.screen.query_one(TabbedContent).active == "metrics"
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, ChooseWithNote)
        await pilot.press("enter", *"pen test report clean", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = str(app.screen.query_one("#scoreboard").content)
        assert "● No critical security issues" in text
    scores = {s.criterion.id: s.status for s in engine.scoreboard()}
    assert scores["no-critical-security-issues"] == "confirmed"


async def test_metric_chart_opens_and_switches_range(tmp_path: Path):
    app, _engine = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("4")
        await pilot.pause()
        app.screen.query_one("#metric-error_rate").focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, MetricDetailScreen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        meta = str(app.screen.query_one("#metric-meta").content)
        assert "last 15m" in meta and "points" in meta
        await pilot.press("2")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "last 1h" in str(app.screen.query_one("#metric-meta").content)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, MetricDetailScreen)
