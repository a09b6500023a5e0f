"""No stray glyphs at the right edge: scrollbars are drawn in whole cells.

Textual ends a scrollbar's thumb with a partial block (▅▅ at columns 79-80 at 80x24 on
the checklist and the Metrics tab, ▆▆ above the footer at 60x20), which a terminal shows
as two sparkline characters with nothing around them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.color import Color

from pty_console import pty_console
from tminus.ui.scrollbar_render import WholeCellScrollBarRender

PARTIAL_BLOCKS = set("▁▂▃▄▅▆▇▉▊▋▌▍▎▏")


@pytest.mark.parametrize("vertical", [True, False])
def test_thumb_is_whole_cells_at_every_position(vertical: bool):
    for size, virtual, window in ((14, 43, 14), (3, 10, 3), (20, 21, 20), (16, 200, 16)):
        for step in range(0, 8 * (virtual - window) + 1):
            segments = WholeCellScrollBarRender.render_bar(
                size=size,
                virtual_size=virtual,
                window_size=window,
                position=step / 8,
                vertical=vertical,
                back_color=Color.parse("#000000"),
                bar_color=Color.parse("#005f5f"),
            ).segments
            cells = [s for s in segments if s.text.strip("\n")]
            assert all(not s.text.strip() for s in cells), (size, virtual, step)
            thumb = [s for s in cells if s.style and s.style.reverse]
            assert thumb, (size, virtual, step)  # a thumb is still drawn


def right_edge(console, width: int, rows: range) -> list[tuple[int, str, bool]]:
    """(row, text, any cell in reverse video) of the last `width` columns of these rows."""
    out = []
    screen = console.screen
    for y in rows:
        cells = [screen.buffer[y][x] for x in range(screen.columns - width, screen.columns)]
        out.append((y + 1, "".join(c.data for c in cells), any(c.reverse for c in cells)))
    return out


def assert_scrollbar_without_glyphs(console, width: int) -> None:
    rows = range(3, console.screen.lines - 1)  # below the tab row, above the footer
    # the scenario is real: a scrollbar's thumb (reverse-video cells) is on screen there
    # (waited for, not a fixed pause: a slow machine paints it later)
    console.wait_until(
        lambda: any(rev for *_, rev in right_edge(console, width, rows)),
        "a scrollbar thumb at the right edge",
    )
    edge = right_edge(console, width, rows)
    stray = [(y, t) for y, t, _ in edge if PARTIAL_BLOCKS & set(t)]
    assert not stray, f"stray glyphs at the right edge: {stray}\n{console.text()}"


def test_no_stray_glyphs_at_80x24_in_a_real_terminal(tmp_path: Path):
    with pty_console(80, 24, tmp_path) as console:
        console.wait_for("? Help")
        assert_scrollbar_without_glyphs(console, 2)  # the checklist overflows
        console.press("4")
        console.wait_for("Success criteria")
        assert_scrollbar_without_glyphs(console, 2)  # the metric panels overflow


def test_no_stray_glyph_above_the_footer_at_60x20_in_a_real_terminal(tmp_path: Path):
    with pty_console(60, 20, tmp_path) as console:
        console.wait_for("? Help")
        # the checklist's and the detail pane's scrollbars (the pane's is one column in)
        assert_scrollbar_without_glyphs(console, 3)


async def test_the_list_scrollbar_follows_its_rows_and_size(tmp_path: Path):
    # the checklist repaints its scrollbar once per size and row count, not on every
    # layout pass: a filter (fewer rows) and a resize must still reach it
    from textual.widgets import Input

    from tminus.ui.widgets.checklist import Checklist

    from console_factory import make_app, until

    app, _engine = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        checklist = app.screen.query_one("#checklist-pre-launch", Checklist)
        assert checklist.show_vertical_scrollbar  # 45 rows in 14
        await pilot.press("slash", *"Database", "enter")
        await until(pilot, lambda: checklist.row_count < 5, "the filtered rows")
        await until(pilot, lambda: not checklist.show_vertical_scrollbar, "no scrollbar")
        await pilot.press("slash")
        await pilot.pause()
        app.screen.query_one("#view-pre-launch Input", Input).value = ""
        await pilot.press("enter")
        await until(pilot, lambda: checklist.row_count > 40, "every row back")
        await until(pilot, lambda: checklist.show_vertical_scrollbar, "the scrollbar back")
        await pilot.resize_terminal(120, 80)
        await until(pilot, lambda: not checklist.show_vertical_scrollbar, "every row fitting")
        await pilot.resize_terminal(80, 24)
        await until(pilot, lambda: checklist.show_vertical_scrollbar, "the scrollbar again")
        bar = checklist.vertical_scrollbar
        assert bar.window_size == checklist.scrollable_content_region.height
        assert bar.window_virtual_size == checklist.virtual_size.height
