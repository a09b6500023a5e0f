"""Toasts never cover the failure they announce: at 80x24 and 60x20 the detail pane and
the selected row stay readable while a toast is up (Textual's own place, bottom right,
is the detail pane on a narrow terminal)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.geometry import Region
from textual.widgets import TabbedContent
from textual.widgets._toast import Toast

from tminus.ui.toast_placement import free_bottom_margin
from tminus.ui.widgets.checklist import Checklist
from tminus.ui.widgets.item_detail import ItemDetail

from console_factory import make_app, small_plan


def selected_row(checklist: Checklist) -> Region:
    y = checklist.region.y + checklist.header_height + checklist.cursor_row
    return Region(checklist.region.x, y - round(checklist.scroll_y), checklist.region.width, 1)


@pytest.mark.parametrize("size", [(80, 24), (60, 20)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_toasts_leave_the_failure_readable(tmp_path: Path, size) -> None:
    app, engine = make_app(tmp_path, small_plan())
    async with app.run_test(size=size, notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("2")  # the Go phase: its version check fails on the demo world
        await pilot.pause()
        assert app.screen.query_one(TabbedContent).active == "phase-go"
        await pilot.press("down", "r")
        await app.workers.wait_for_complete()
        for task in list(engine._run_tasks):
            await task
        # a failure as a failing worker reports it: long, so its toast takes several lines
        app.notify(
            "Saving the note failed: cannot write /var/lib/tminus/sessions/launch.jsonl:"
            " No space left on device",
            severity="error",
            timeout=60,
        )
        await pilot.pause()
        await pilot.pause()
        state = engine.item_state("version-deployed")
        assert state is not None and state.last is not None
        assert state.last.outcome in ("fail", "error")
        detail = app.screen.query_one("#detail-go", ItemDetail)
        body = str(detail.query_one("#detail-body").content)
        assert state.last.message[:20] in body  # the failure text is in the detail pane
        row = selected_row(app.screen.query_one("#checklist-go", Checklist))
        toasts = [t.region for t in app.screen.query(Toast)]
        assert toasts, "no toast on screen"
        for toast in toasts:
            assert not toast.overlaps(detail.region), (toast, detail.region)
            assert not toast.overlaps(row), (toast, row)
            assert toast.bottom <= size[1] - 1  # the key bar stays in sight


def test_the_stack_goes_as_low_as_it_can():
    screen = Region(0, 0, 80, 24).size
    detail = Region(0, 15, 80, 8)
    row = Region(0, 5, 80, 1)
    # bottom right is free: Textual's place, one row above the footer
    assert free_bottom_margin([row], screen, 40, 4) == 1
    # the detail pane is there: just above it
    assert free_bottom_margin([detail, row], screen, 40, 4) == 24 - 15
    # too tall for the rows between row and detail, and for those above the row
    assert free_bottom_margin([detail, row], screen, 40, 10) is None
    # room above the row only
    assert free_bottom_margin([detail, Region(0, 12, 80, 1)], screen, 40, 10) == 24 - 12
    assert free_bottom_margin([Region(0, 0, 80, 24)], screen, 40, 4) is None


def assert_toasts_clear(app, size: tuple[int, int], detail_id: str, checklist_id: str) -> None:
    detail = app.screen.query_one(detail_id, ItemDetail)
    row = selected_row(app.screen.query_one(checklist_id, Checklist))
    toasts = [t.region for t in app.screen.query(Toast)]
    assert toasts, "no toast on screen"
    for toast in toasts:
        assert not toast.overlaps(detail.region), (toast, detail.region)
        assert not toast.overlaps(row), (toast, row)
        assert toast.bottom <= size[1] - 1  # the key bar stays in sight


async def select_row_at(pilot, checklist: Checklist, y: int) -> None:
    for _ in range(30):
        if selected_row(checklist).y >= y:
            break
        await pilot.press("down")
    await pilot.pause()
    assert selected_row(checklist).y == y


LONG = (
    "Saving the note failed: cannot write /var/lib/tminus/sessions/launch.jsonl:"
    " No space left on device"
)


async def test_toasts_are_placed_again_after_a_resize(tmp_path: Path) -> None:
    app, _engine = make_app(tmp_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        # a row that the stack, placed for 80x24 (just above the detail pane), covers at
        # 60x20 where the pane is lower and the narrower toast taller
        await select_row_at(pilot, app.screen.query_one("#checklist-pre-launch", Checklist), 10)
        app.notify(LONG, severity="error", timeout=60)
        await pilot.pause(0.3)
        assert_toasts_clear(app, (80, 24), "#detail-pre-launch", "#checklist-pre-launch")
        await pilot.resize_terminal(60, 20)
        await pilot.pause(0.3)
        assert_toasts_clear(app, (60, 20), "#detail-pre-launch", "#checklist-pre-launch")
        await pilot.resize_terminal(120, 40)  # the detail pane fills the right edge
        await pilot.pause(0.3)
        assert_toasts_clear(app, (120, 40), "#detail-pre-launch", "#checklist-pre-launch")


async def test_toasts_are_placed_again_after_a_tab_switch(tmp_path: Path) -> None:
    app, _engine = make_app(tmp_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        tab1 = app.screen.query_one("#checklist-pre-launch", Checklist)
        await select_row_at(pilot, tab1, 16)  # low on tab 1
        await pilot.press("2")  # tab 2's row is at the top: the stack goes lowest there
        await pilot.pause()
        app.notify(LONG, severity="error", timeout=60)
        await pilot.pause(0.3)
        assert_toasts_clear(app, (80, 24), "#detail-launch-day", "#checklist-launch-day")
        await pilot.press("1")
        await pilot.pause(0.3)
        assert_toasts_clear(app, (80, 24), "#detail-pre-launch", "#checklist-pre-launch")


def test_the_stack_takes_the_left_edge_when_asked():
    screen = Region(0, 0, 120, 40).size
    detail = Region(72, 3, 48, 36)  # a wide screen's detail pane: the whole right side
    header, row = Region(0, 0, 120, 3), Region(0, 10, 72, 1)
    assert free_bottom_margin([header, detail, row], screen, 59, 3) is None
    assert free_bottom_margin([header, detail, row], screen, 59, 3, left=True) == 1
