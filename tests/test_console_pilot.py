"""Real keys through the real app on the demo world."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, TabbedContent

from tminus.engine.session import load_events
from tminus.ui.screens.help import HelpScreen
from tminus.ui.screens.note_prompt import NotePrompt
from tminus.ui.screens.signoff import SignOffScreen
from tminus.ui.widgets.checklist import Checklist

from console_factory import make_app, small_plan


def events(path: Path, type_: str) -> list[dict]:
    return [dict(e.data, actor=e.actor) for e in load_events(path).events if e.type == type_]


async def settle(app, pilot) -> None:
    await app.workers.wait_for_complete()
    for task in list(app.engine._run_tasks):
        await task
    await pilot.pause()
    await pilot.pause()


def checklist(app, phase: str) -> Checklist:
    return app.screen.query_one(f"#checklist-{phase}", Checklist)


async def test_run_a_check_and_see_its_result(tmp_path):
    app, engine = make_app(tmp_path, small_plan())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        table = checklist(app, "ready")
        assert table.cursor_key() == "section:checks"
        await pilot.press("down")  # the smoke test
        assert table.cursor_key() == "smoke-test"
        await pilot.press("r")
        await settle(app, pilot)
        assert engine.status(engine.plan.item("smoke-test")[2]) == "pass"
        row = [str(c) for c in table.get_row("smoke-test")]
        assert row[0] == "✔"
        detail = str(app.screen.query_one("#detail-ready #detail-body").content)
        assert "last: pass" in detail and "200" in detail
    recorded = events(engine.session.path, "check.finished")
    assert [e["item"] for e in recorded] == ["smoke-test"]
    assert recorded[0]["result"]["outcome"] == "pass"


async def test_confirm_a_manual_item_records_the_event(tmp_path):
    app, engine = make_app(tmp_path, small_plan())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("down", "down")  # Backups restored
        assert checklist(app, "ready").cursor_key() == "backups-restored"
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, NotePrompt)
        await pilot.press(*"restored to scratch db")
        await pilot.press("enter")
        await settle(app, pilot)
        assert not isinstance(app.screen, NotePrompt)
        assert str(checklist(app, "ready").get_row("backups-restored")[0]) == "●"
    (confirmed,) = events(engine.session.path, "item.confirmed")
    assert confirmed["item"] == "backups-restored"
    assert confirmed["note"] == "restored to scratch db"
    assert confirmed["actor"] and "@" in confirmed["actor"]


async def test_sign_off_refused_then_accepted(tmp_path):
    app, engine = make_app(tmp_path, small_plan())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("g")
        await pilot.pause()
        assert isinstance(app.screen, SignOffScreen)
        text = str(app.screen.query_one("#blockers").content)
        assert "Smoke test: not run yet" in text
        assert "Backups restored: not confirmed yet" in text
        assert "Nice to have" not in text  # not blocking
        await pilot.press("escape")
        await pilot.pause()
        assert not events(engine.session.path, "phase.signed_off")
        # make it green: run the phase, confirm the manual item
        await pilot.press("a")
        await settle(app, pilot)
        await pilot.press("down", "down", "c")
        await pilot.pause()
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("g")
        await pilot.pause()
        assert isinstance(app.screen, SignOffScreen)
        assert not app.screen.blockers
        await pilot.press(*"go for launch", "enter")
        await settle(app, pilot)
        status = str(app.screen.query_one("#view-ready .phase-status").content)
        assert "signed off" in status
    (signed,) = events(engine.session.path, "phase.signed_off")
    assert signed["phase"] == "ready" and signed["note"] == "go for launch"


async def test_failing_check_blocks_and_next_failing_jumps(tmp_path):
    app, engine = make_app(tmp_path, small_plan())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("2")  # the Go phase
        await pilot.pause()
        assert app.screen.query_one(TabbedContent).active == "phase-go"
        await pilot.press("a")
        await settle(app, pilot)
        assert engine.status(engine.plan.item("version-deployed")[2]) == "fail"
        await pilot.press("1")
        await pilot.pause()
        await pilot.press("f")
        await pilot.pause()
        assert app.screen.query_one(TabbedContent).active == "phase-go"
        assert checklist(app, "go").cursor_key() == "version-deployed"


async def test_filter_narrows_the_list(tmp_path):
    app, _ = make_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        table = checklist(app, "pre-launch")
        before = table.row_count
        await pilot.press("slash")
        await pilot.pause()
        assert isinstance(app.focused, Input)
        await pilot.press(*"certificates")
        await pilot.pause()
        assert table.row_count == 2  # its section row and the item
        assert "ssl-certificates-valid-30-days" in {str(k.value) for k in table.rows}
        await pilot.press("ctrl+a", "ctrl+k", "enter")  # clear the filter
        await pilot.pause()
        assert table.row_count == before


async def test_read_only_refuses_and_does_not_offer_changes(tmp_path):
    app, engine = make_app(tmp_path, small_plan(), read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.screen.query_one("#read-only")
        await pilot.press("down", "r", "c", "g", "a")
        await settle(app, pilot)
        assert not isinstance(app.screen, NotePrompt | SignOffScreen)
        assert engine.item_state("smoke-test") is None  # nothing ran
        footer_keys = {b.binding.action for b in app.screen.active_bindings.values() if b.enabled}
        assert not footer_keys & {"run_selected", "run_phase", "confirm", "note", "sign_off"}
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help-text").content)
        assert "READ-ONLY" in text and "Confirm" not in text
    with pytest.raises(Exception, match="read-only"):
        await engine.confirm("backups-restored")


async def test_help_lists_every_key(tmp_path):
    app, _ = make_app(tmp_path, small_plan())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        text = str(app.screen.query_one("#help-text").content)
        for word in ("All", "Confirm", "Sign off", "Filter", "Next fail", "Quit"):
            assert word in text
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


async def test_a_hundred_checks_run_while_keys_are_handled(tmp_path, http_server):
    """A hundred real HTTP checks (4 s each, 20 at a time: 20 s in all, so still in flight
    after the keys on a loaded machine) run in the background while the console switches
    tabs, filters and opens help."""
    from tminus.backends.factory import build_backends
    from tminus.engine.console import ConsoleEngine
    from tminus.engine.session import SessionWriter
    from tminus.plan.loader import parse_plan
    from tminus.ui.app import TminusApp

    items = "".join(
        f'[[phases.sections.items]]\ntitle = "slow {i}"\n'
        f'check = {{ kind = "http", url = "{http_server.url}/slow?ms=4000" }}\n'
        for i in range(100)
    )
    plan = parse_plan(
        '[launch]\nname = "Busy"\nt0 = 2026-12-04T16:00:00Z\n'
        "[settings]\nconcurrency = 20\n"
        '[[phases]]\nid = "busy"\ntitle = "Busy"\nat = "0"\n'
        '[[phases.sections]]\ntitle = "Slow"\n'
        + items
        + '[[phases]]\nid = "other"\ntitle = "Other"\nat = "+1h"\n'
        '[[phases.sections]]\ntitle = "S"\n[[phases.sections.items]]\ntitle = "x"\nmanual = true\n'
    )
    session = SessionWriter(tmp_path / "busy.jsonl", resume=False)
    engine = ConsoleEngine(plan, build_backends(plan), session=session)
    app = TminusApp(engine, remember_theme=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("2")
        await pilot.pause()
        assert app.screen.query_one(TabbedContent).active == "phase-other"
        await pilot.press("1", "slash", *"slow 99", "enter")
        await pilot.pause()
        assert checklist(app, "busy").row_count == 2  # its section and "slow 99"
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        # all of that happened while the checks were still in flight
        assert engine.any_running and http_server.max_in_flight == 20
        status = str(app.screen_stack[1].query_one("#view-busy .phase-status").content)
        assert "running" in status
        await engine.shutdown()  # cancels the rest; they are recorded as skipped
    finished = events(engine.session.path, "check.finished")
    assert len(finished) == 100
    assert {e["result"]["outcome"] for e in finished} <= {"pass", "skipped"}
