"""Console defects found by trying it as a clumsy user would, each with real keys (Pilot)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.color import Color
from textual.widget import Widget
from textual.widgets import Input, TabbedContent, TabPane

from tminus.plan.loader import load_plan
from tminus.ui.screens.rollback_screen import RollbackScreen
from tminus.ui.widgets.checklist import Checklist

from console_factory import DATA, make_app

NOTE = "[URGENT] disk 91% on db-1 [Ticket OPS-42]"


def tab_ids(app) -> list[str]:  # type: ignore[no-untyped-def]
    """The console's tabs in key order (1 to 9): derived, as a plan adds or drops tabs."""
    return [pane.id or "" for pane in app.screen.query_one(TabbedContent).query(TabPane)]


def tab_key(app, tab: str) -> str:  # type: ignore[no-untyped-def]
    return str(tab_ids(app).index(tab) + 1)


def screen_text(widget: Widget) -> str:
    """What the widget shows, line by line, as rendered (markup already applied)."""
    return "\n".join(
        "".join(seg.text for seg in widget.render_line(y)) for y in range(widget.size.height)
    )


async def settle(app, pilot) -> None:  # type: ignore[no-untyped-def]
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


async def test_brackets_in_notes_and_plan_text_are_shown(tmp_path: Path) -> None:
    app, engine = make_app(tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#checklist-pre-launch", Checklist)
        await pilot.press("down")
        item = table.selected_item()
        assert item is not None
        await pilot.press("n")
        await pilot.pause()
        await pilot.press(*NOTE, "enter")
        await settle(app, pilot)
        assert [n.note for n in engine.item_state(item.id).notes] == [NOTE]
        detail = app.screen.query_one("#detail-pre-launch #detail-body")
        assert NOTE in " ".join(screen_text(detail).split())  # the pane may wrap it

        await pilot.press(tab_key(app, "contacts"))
        await settle(app, pilot)
        contacts = "\n".join(screen_text(w) for w in app.screen.query("#contacts-view Static"))
        assert "Infrastructure Lead: [Contact]" in contacts
        assert "War Room: [Video Link]" in contacts


async def test_brackets_in_titles_survive_the_checklist(tmp_path: Path) -> None:
    from tminus.plan.loader import default_plan_text, parse_plan

    text = (
        default_plan_text()
        .replace(
            'title = "Database replication verified"',
            'title = "[b]Database[/b] replication [Ticket OPS-42]"\n    id = "db-repl"',
        )
        .replace('title = "Launch Day"', 'title = "Launch [Day]"')
    )
    app, _ = make_app(tmp_path, parse_plan(text, "bracket-plan.toml"))
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#checklist-pre-launch", Checklist)
        await pilot.pause()
        assert "[b]Database[/b] replication [Ticket OPS-42]" in screen_text(table)
        labels = [screen_text(tab) for tab in app.screen.query("Tabs Tab")]
        assert any("Launch [Day]" in label for label in labels), labels


async def _fire_trigger(engine) -> None:  # type: ignore[no-untyped-def]
    manual = next(t for t in engine.plan.triggers if t.manual)
    await engine.declare_trigger(manual.id, "seen by a test")


# A filter kept on one phase tab is covered by filters kept on every phase tab: the trap
# is a hidden filter box taking the focus, and there each phase tab has one.
STATES = ["plain", "kept filters everywhere", "empty filter submitted", "tab bar"]


async def _set_filters(app, pilot, state: str) -> None:  # type: ignore[no-untyped-def]
    """Filters are kept per phase tab: set once, they hold for every key pressed after."""
    if state not in ("kept filters everywhere", "empty filter submitted"):
        return
    tabs = app.screen.query_one(TabbedContent)
    phases = [tab for tab in tab_ids(app) if tab.startswith("phase-")]
    for tab in phases if state == "kept filters everywhere" else phases[:1]:
        tabs.active = tab
        await pilot.pause()
        words = "" if state == "empty filter submitted" else "e"
        await pilot.press("slash", *words, "enter")
        await pilot.pause()


def _keys(tabs: list[str]) -> dict[str, int]:
    """Each tab key and the tab (1-based) it must land on (`x` opens the rollback screen
    over the current tab: checked on its own, below)."""
    return {str(n): n for n in range(1, len(tabs) + 1)}


def _walk(tabs: list[str]) -> list[tuple[int, str]]:
    """Every (tab, key) pair once, as a walk: each key press starts from where the last one
    landed, and a tab is chosen directly (as a click would) only when the walk is stuck.
    A tab switch restyles the whole screen, so this halves the test's time against choosing
    the starting tab before every key; the pair list is checked complete below."""
    target = _keys(tabs)
    KEYS = list(target)
    left = {(tab, key) for tab in range(1, len(tabs) + 1) for key in KEYS}
    steps: list[tuple[int, str]] = []
    tab = 1
    while left:
        mine = [key for key in KEYS if (tab, key) in left]
        if not mine:
            tab = min(t for t, _ in left)
            continue
        # stay put when a key keeps us here, else go where most pairs are still to press
        key = max(mine, key=lambda k: (target[k] == tab, sum(t == target[k] for t, _ in left)))
        steps.append((tab, key))
        left.discard((tab, key))
        tab = target[key]
    return steps


SEVEN = ["phase-pre", "phase-go", "phase-post", "metrics", "rollout", "rollback", "contacts"]


@pytest.mark.parametrize("tabs", [SEVEN, [t for t in SEVEN if t != "rollout"]])
def test_the_walk_presses_every_key_from_every_tab(tabs: list[str]) -> None:
    steps = _walk(tabs)
    keys = _keys(tabs)
    assert sorted(steps) == sorted((tab, key) for tab in range(1, len(tabs) + 1) for key in keys)


@pytest.mark.parametrize("state", STATES)
async def test_every_tab_key_and_x_work_from_every_tab_focus_and_filter(
    tmp_path: Path, state: str
) -> None:
    app, engine = make_app(tmp_path, load_plan(DATA / "tabs_plan.toml"))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        await _fire_trigger(engine)
        await settle(app, pilot)
        # the trigger's toast keeps the app busy, and Pilot waits for an idle app after
        # every key: up to a second a key on a loaded machine
        app.clear_notifications()
        await _set_filters(app, pilot, state)
        tabs = app.screen.query_one(TabbedContent)
        TABS = tab_ids(app)
        assert "rollout" in TABS and len(TABS) == 7, TABS  # the plan has every kind of tab
        keys = _keys(TABS)
        failures = []
        for start, key in _walk(TABS):
            if tabs.active != TABS[start - 1]:
                # chosen directly, the key pressed at once: a TabActivated still on its
                # way must not pull the focus back to this tab
                tabs.active = TABS[start - 1]
            if state == "tab bar":
                tabs.query_one("Tabs").focus()
                await pilot.pause()
            await pilot.press(key)
            await pilot.pause()
            want = TABS[keys[key] - 1]
            if tabs.active != want:
                failures.append(f"from tab {start}, key {key}: on {tabs.active}")
            if isinstance(app.focused, Input):
                failures.append(f"from tab {start}, key {key}: focus left in the filter")
        # x opens the rollback screen from every tab; escape returns to that tab
        for start, tab in enumerate(TABS, 1):
            tabs.active = tab
            await pilot.pause()
            if state == "tab bar":
                tabs.query_one("Tabs").focus()
                await pilot.pause()
            await pilot.press("x")
            await pilot.pause()
            if not isinstance(app.screen, RollbackScreen):
                failures.append(f"from tab {start}, key x: {type(app.screen).__name__}")
                continue
            await pilot.press("escape")
            await pilot.pause()
            if isinstance(app.screen, RollbackScreen) or tabs.active != tab:
                failures.append(f"from tab {start}: escape left {tabs.active}")
        assert not failures, "\n".join(failures)


async def test_no_color_production_badge_is_readable(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("NO_COLOR", "1")
    app, _ = make_app(tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        badge = app.screen.query_one("#environment")
        assert "PRODUCTION" in screen_text(badge)
        style = badge.rendered_style if hasattr(badge, "rendered_style") else None
        del style
        segments = [seg for seg in badge.render_line(0) if seg.text.strip()]
        # as the terminal receives it: after the app's NO_COLOR line filter
        for line_filter in app.get_line_filters():
            from textual.strip import Strip

            strip = line_filter.apply(Strip(segments), Color.parse("black"))
            segments = list(strip)
        assert segments
        for seg in segments:
            assert seg.style is not None
            fg, bg = seg.style.color, seg.style.bgcolor
            reverse = bool(seg.style.reverse)
            assert fg is not None and bg is not None
            assert fg.triplet != bg.triplet or reverse, f"{seg.text!r}: {fg} on {bg}"


async def test_brackets_in_notification_channel_names_are_shown(tmp_path: Path) -> None:
    from tminus.plan.loader import default_plan_text, parse_plan

    channel = '\n[[comms.notify]]\nname = "[Ops] pager"\nkind = "command"\nargv = ["true"]\n'
    app, _ = make_app(tmp_path, parse_plan(default_plan_text() + channel, "notify-plan.toml"))
    async with app.run_test(size=(200, 50)) as pilot:
        await pilot.pause()
        assert "[Ops] pager" in screen_text(app.screen.query_one("#comms-state"))
        await pilot.press(tab_key(app, "contacts"))
        await settle(app, pilot)
        shown = "\n".join(screen_text(w) for w in app.screen.query("#contacts-view Static"))
        assert "[Ops] pager" in shown, shown
