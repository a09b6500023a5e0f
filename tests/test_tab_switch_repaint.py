"""A tab switch repaints only what changed, once: not the whole screen, not the header.

Measured in a real pty (bench/terminal.py --switches), a switch between tabs 1 and 2 wrote
12 KB or 18.6-19 KB at 80x24: moving focus made Textual repaint the whole screen (header
and tab row included), the new tab's rows were painted a second time when focus was set
again on TabActivated, and the footer was recomposed twice. Here the real app's frames are
read as Textual hands them to the terminal driver.
"""

from __future__ import annotations

from pathlib import Path

from textual._compositor import ChopsUpdate, LayoutUpdate
from textual.widgets import TabbedContent, TabPane

from screen_lines import screen_lines
from tminus.ui.widgets.key_footer import KeyFooter
from tminus.ui.widgets.metrics_view import MetricsView

from console_factory import make_app, until

LIST_ROW = 8  # a checklist row at 80x24 (0-based screen row), in both tabs; its
# scrollbar is columns 78-79


def painted(update: ChopsUpdate, row: int, below: int = 80) -> bool:
    """Whether this update writes a cell of this screen row left of column `below` (its
    spans are what the driver writes: (row, first column, end column))."""
    return any(y == row and x0 < below for y, x0, _x1 in update.spans)


async def test_a_tab_switch_repaints_neither_the_whole_screen_nor_twice(tmp_path: Path):
    app, _engine = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        tabs = app.screen.query_one(TabbedContent)
        panes = [p.id for p in tabs.query(TabPane)]
        await until(pilot, lambda: bool(app.screen.query(MetricsView)), "the hidden views")
        for key in "21":  # every view mounted and visited once: only switches remain
            await pilot.press(key)
            await until(pilot, lambda key=key: tabs.active == panes[int(key) - 1], "the tab")
            await pilot.pause(0.3)
        display = app._display
        frames: list[object] = []

        def record(screen, renderable) -> None:  # what the driver would be given
            if renderable is not None:
                frames.append(renderable)
            display(screen, renderable)

        footer = app.screen.query_one(KeyFooter)
        compose = footer.compose
        composed: list[int] = []

        def count_compose():  # tabs 1 and 2 differ by one key: one recompose per switch
            composed.append(1)
            return compose()

        app._display = record  # type: ignore[method-assign]
        footer.compose = count_compose  # type: ignore[method-assign]
        per_switch: list[list[object]] = []
        footer_composes: list[int] = []
        header_changed: list[bool] = []
        for key in "2121":
            frames.clear()
            composed.clear()
            header = screen_lines(app)[0]
            await pilot.press(key)
            # the switch drawn (its new footer keys and the list's rows), then a while for
            # anything drawn after it: a second paint is what this test looks for
            await until(
                pilot,
                lambda: (
                    bool(composed)
                    and any(isinstance(u, ChopsUpdate) and painted(u, LIST_ROW, 78) for u in frames)
                ),
                f"the switch to tab {key} drawn",
            )
            await pilot.pause(0.5)
            per_switch.append(list(frames))
            footer_composes.append(len(composed))
            # the clock is frozen, but a loaded machine may let a late start-up update in
            header_changed.append(screen_lines(app)[0] != header)
        app._display = display  # type: ignore[method-assign]

    assert footer_composes == [1, 1, 1, 1]

    for n, updates in enumerate(per_switch):
        assert updates, f"switch {n} drew nothing"
        full = [u for u in updates if isinstance(u, LayoutUpdate)]
        assert not full, f"switch {n} repainted the whole screen"
        chops = [u for u in updates if isinstance(u, ChopsUpdate)]
        header = [u for u in chops if painted(u, 0)]
        assert header_changed[n] or not header, f"switch {n} repainted the header"
        assert any(painted(u, 1) for u in chops), f"switch {n} left the tab row as it was"
        list_paints = sum(1 for u in chops if painted(u, LIST_ROW, below=78))
        assert list_paints == 1, f"switch {n} painted the list's rows {list_paints} times"
        bar_paints = sum(
            1 for u in chops if any(y == LIST_ROW and x1 > 78 for y, _x0, x1 in u.spans)
        )
        # with the list, and once more on the layout pass of the footer's new keys (it was
        # repainted on every layout pass: 4 times)
        assert bar_paints <= 2, f"switch {n} painted the list's scrollbar {bar_paints} times"


async def test_keys_announced_while_the_terminal_is_unfocused_are_drawn_on_focus(tmp_path: Path):
    # the footer draws a new key set once; one announced while the terminal had lost focus
    # (Textual draws nothing then) is drawn when focus comes back
    from textual import events

    from screen_lines import screen_lines

    app, engine = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.post_message(events.AppBlur())
        await pilot.pause()
        await engine.declare_trigger("data-corruption", "checksums differ on replica 2")
        await pilot.pause(0.3)
        app.post_message(events.AppFocus())
        await until(pilot, lambda: screen_lines(app)[-1].startswith("x "), "x first in the footer")
