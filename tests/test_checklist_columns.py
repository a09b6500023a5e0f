"""The checklist's columns give way by priority: a long title is shown whole while the
Value, Age and Owner columns are empty or short, Value and Age make room for themselves
once a check has a value, and the detail pane leaves wide screens to the list. Checked on
the real console's screen at 80x24, 60x20, 120x40 and 200x50, with metric errors present."""

from __future__ import annotations

from pathlib import Path

import pytest

from screen_lines import screen_lines
from test_small_terminals import errors_plan, wait_for_errors
from tminus.ui.widgets.checklist import FIXED, VALUE_MIN, Checklist, column_widths
from tminus.ui.widgets.phase_view import NARROW, list_width

from console_factory import make_app

SIZES = [(80, 24), (60, 20), (120, 40), (200, 50)]
LONG = "Enable gradual traffic rollout (5%, 25%, 50%, 100%)"  # Launch Day's longest title
SCAN = "Security scan completed (no critical vulnerabilities)"  # Pre-Launch's longest


def title_room(width: int) -> int:
    """What a title may take in a list `width` wide, with every other column empty."""
    return column_widths(list_width(width), 200, value_needed=0, owner_needed=0)["item"]


def test_empty_columns_take_no_room():
    widths = column_widths(84, 51, value_needed=0, owner_needed=0)
    assert widths["item"] == 51
    assert widths["value"] == widths["age"] == widths["owner"] == 0
    # a value to show: it keeps its readable minimum, and its age comes with it
    shown = column_widths(84, 51, value_needed=9, owner_needed=0)
    assert shown["value"] == 9 and shown["age"] == FIXED["age"] and shown["item"] == 51
    tight = column_widths(60, 51, value_needed=12, owner_needed=0)
    assert tight["value"] == VALUE_MIN and tight["item"] < 51


def test_owner_gives_way_first_and_never_shows_a_stub():
    roomy = column_widths(110, 40, value_needed=12, owner_needed=19)
    assert roomy["owner"] == 19 and roomy["item"] == 40
    # 3 cells for "Infrastructure Lead" would read "In…": no column at all instead
    squeezed = column_widths(84, 53, value_needed=12, owner_needed=19)
    assert squeezed["owner"] == 0 and squeezed["item"] == 53 and squeezed["value"] == 12


def test_the_detail_pane_leaves_wide_screens_to_the_list():
    assert list_width(NARROW - 1) == NARROW - 1  # under the list below NARROW
    assert list_width(120) == 80  # the pane took 48 of 120
    assert list_width(200) == 160


@pytest.mark.parametrize("size", [(110, 30), (120, 40), (157, 40), (200, 50)])
async def test_list_width_is_what_the_layout_gives(tmp_path: Path, size):
    """list_width restates no CSS: the first frame's columns are the laid-out ones."""
    app, _engine = make_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        checklist = app.screen.query(Checklist).first()
        assert checklist.size.width == list_width(size[0])
        assert checklist.first_width == list_width(size[0])


async def _filter(pilot, words: str) -> None:
    await pilot.press("slash", *words, "enter")
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_launch_day_titles_whole_while_the_other_columns_are_empty(tmp_path: Path, size):
    app, engine = make_app(tmp_path, errors_plan())
    width, _height = size
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await pilot.press("2")
        await wait_for_errors(engine)
        await _filter(pilot, "gradual")
        await pilot.pause(0.3)
        lines = screen_lines(app)
    text = "\n".join(lines)
    room = title_room(width)
    if len(LONG) <= room:
        assert LONG in text, text
    else:  # 60 columns: cut, but only to the room every other column gave up
        assert LONG[: room - 1] + "…" in text, text


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_values_make_room_for_themselves_by_priority(tmp_path: Path, size):
    app, _engine = make_app(tmp_path)
    width, _height = size
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        before = screen_lines(app)
        await pilot.press("a")
        await app.workers.wait_for_complete()
        for task in list(app.engine._run_tasks):
            await task
        await pilot.pause()
        await _filter(pilot, "scan")
        await pilot.pause(0.3)
        after = screen_lines(app)
        checklist = app.screen.query(Checklist).first()
        widths = {key: checklist.columns[key].width for key in checklist.columns}
    # nothing to show yet: no Value header taking room
    assert not any("Value" in line for line in before[:6]), before[:6]
    header = next(line for line in after if " Item " in line)
    assert "Value" in header
    row = next(line for line in after if SCAN[:20] in line)
    assert "exit 0" in row  # the value, whole
    if width >= 80:
        assert SCAN in row  # and the title too, where the two fit
    assert widths[next(k for k in widths if str(k.value) == "value")] >= VALUE_MIN
