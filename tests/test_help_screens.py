"""`?` (or f1) on every screen lists that screen's keys, from its own binding table, with
real keys pressed through the real app: each key the screen answers to right now is in
its help, a `[keymap]` override shows the new key, a read-only console lists none of the
keys it does not offer, and wrapped lines keep their indent."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import TabbedContent

from tminus.ui.screens.dry_run import DryRunScreen
from tminus.ui.screens.help import HelpScreen
from tminus.ui.screens.main import MainScreen
from tminus.ui.screens.note_prompt import NotePrompt
from tminus.ui.screens.rollback_screen import RollbackScreen
from tminus.ui.screens.signoff import SignOffScreen

from console_factory import make_app, until

ENTRY = re.compile(r"^  \[b\](.*?)\[/b\] (.*)$")


def help_lines(app: Any) -> list[tuple[str, str]]:
    """(keys column, text) of every key line of the help on screen."""
    assert isinstance(app.screen, HelpScreen)
    text = str(app.screen.query_one("#help-text").content)
    out = []
    for line in text.splitlines():
        m = ENTRY.match(line)
        if m:
            out.append((m.group(1).replace("\\[", "[").strip(), m.group(2)))
    return out


def listed_keys(app: Any) -> set[str]:
    keys: set[str] = set()
    for column, _ in help_lines(app):
        for key in column.split():
            if re.fullmatch(r"\d-\d", key):
                keys |= {str(n) for n in range(int(key[0]), int(key[2]) + 1)}
            else:
                keys.add(key)
    return keys


def answered_keys(screen: Screen[Any]) -> set[str]:
    """Every key `screen` answers to now, as the footer would show it."""
    return {screen.app.get_key_display(a.binding) for a in screen.active_bindings.values()}


async def help_of(pilot: Pilot[Any], key: str = "question_mark") -> set[str]:
    """Open the help on the current screen; (keys it answered to) - (keys the help lists)."""
    app = pilot.app
    before = answered_keys(app.screen)
    await pilot.press(key)
    await pilot.pause()
    assert isinstance(app.screen, HelpScreen)
    return before - listed_keys(app)


async def close_help(pilot: Pilot[Any]) -> None:
    await pilot.press("escape")
    await pilot.pause()
    assert not isinstance(pilot.app.screen, HelpScreen)


async def test_every_screen_lists_every_key_it_answers_to(tmp_path: Path) -> None:
    app, _engine = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        tabs = app.screen.query_one(TabbedContent)
        panes = [p.id for p in tabs.query("TabPane")]
        for n, pane in enumerate(panes, 1):  # the main console on each of its tabs
            await pilot.press(str(n))
            await pilot.pause()
            assert tabs.active == pane
            assert await help_of(pilot) == set(), pane
            if pane == "rollout":
                assert {"←", "→", "⏎"} <= listed_keys(app)
            if pane == "metrics":
                assert "⏎" in listed_keys(app)  # enter: the chart
            # only this console's tabs, with no stale `1-9`
            assert f"1-{len(panes)}" in {k for k, _ in help_lines(app)}
            assert not {str(k) for k in range(len(panes) + 1, 10)} & listed_keys(app)
            # the help screen's own keys are in it too
            assert answered_keys(app.screen) - listed_keys(app) == set()
            await close_help(pilot)

        await pilot.press("1", "x")  # the rollback screen
        await pilot.pause()
        assert isinstance(app.screen, RollbackScreen)
        assert await help_of(pilot) == set()
        texts = " ".join(t for _, t in help_lines(app))
        assert "Arm:" in texts and "Dry run:" in texts
        await close_help(pilot)
        await pilot.press("p")  # its dry run, a modal dialog
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, DryRunScreen)
        assert await help_of(pilot) == set()
        assert "Keys: rollback dry run" in str(app.screen.query_one("#help-text").content)
        await close_help(pilot)
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)

        # dialogs with a text box: `?` is a character there, f1 opens the help
        await pilot.press("down", "n")
        await pilot.pause()
        assert isinstance(app.screen, NotePrompt)
        await pilot.press("question_mark")
        assert app.screen.query_one("Input").value == "?"
        assert await help_of(pilot, "f1") == set()
        await close_help(pilot)
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("g")
        await pilot.pause()
        assert isinstance(app.screen, SignOffScreen)
        assert await help_of(pilot, "f1") == set()
        assert "Keys: phase sign-off" in str(app.screen.query_one("#help-text").content)


async def test_read_only_help_lists_no_key_it_does_not_offer(tmp_path: Path) -> None:
    app, _ = make_app(tmp_path, read_only=True)
    writing = {"r", "a", "c", "n", "g", "E", "d"}
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert await help_of(pilot) == set()
        texts = " ".join(t for _, t in help_lines(app))
        assert not writing & listed_keys(app), listed_keys(app)
        assert "Confirm:" not in texts and "Apply:" not in texts and "Lower:" not in texts
        await close_help(pilot)
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, RollbackScreen)
        assert await help_of(pilot) == set()
        texts = " ".join(t for _, t in help_lines(app))
        assert "Dry run:" in texts
        for word in ("Arm:", "Run steps:", "Ack trigger:", "Withdraw:"):
            assert word not in texts


async def test_help_shows_the_remapped_key(tmp_path: Path) -> None:
    config = Path(os.environ["TMINUS_HOME"]) / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[keymap]\nnote = "m"\nrollback-dry-run = "y"\n', encoding="utf-8")
    app, _ = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert await help_of(pilot) == set()
        by_text = {t.split(":")[0]: k for k, t in help_lines(app)}
        assert by_text["Note"] == "m"
        assert by_text["Dry run"] == "y"  # on the rollback screen, listed from here too
        await close_help(pilot)
        await pilot.press("x")
        await pilot.pause()
        assert await help_of(pilot) == set()
        assert {t.split(":")[0]: k for k, t in help_lines(app)}["Dry run"] == "y"


async def test_wrapped_help_lines_keep_their_indent(tmp_path: Path) -> None:
    app, _ = make_app(tmp_path)
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        text = str(app.screen.query_one("#help-text").content)
    lines = text.splitlines()
    key_width = len(next(m.group(1) for m in map(ENTRY.match, lines) if m))
    wrapped = 0
    section = ""
    for line in lines:
        if line.startswith("[b]"):
            section = line
        elif line and not ENTRY.match(line) and "Symbols" not in section and "READ" not in line:
            # the continuation of a key's text starts where that text starts
            assert line.startswith(" " * (2 + key_width + 1)) and line[2 + key_width + 1] != " "
            wrapped += 1
    assert wrapped > 5  # at 60 columns, many texts wrap


async def test_quit_is_listed_once_with_both_keys(tmp_path: Path) -> None:
    # Textual's own ctrl+q quit sat beside ours as a second "Quit" with another text
    app, _ = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert await help_of(pilot) == set()  # ^q still listed: it still quits
        quits = [(k, t) for k, t in help_lines(app) if t.startswith("Quit")]
    assert len(quits) == 1, quits
    keys, text = quits[0]
    assert keys.split() == ["q", "^q"]
    assert text == "Quit: Leave; the session stays resumable"


async def test_chart_screen_has_the_importance_footer_and_its_help(tmp_path: Path) -> None:
    from screen_lines import screen_lines
    from tminus.ui.screens.metric_detail import MetricDetailScreen
    from tminus.ui.widgets.key_footer import KeyFooter
    from tminus.ui.widgets.metric_panel import MetricPanel

    app, _ = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        panes = [p.id for p in app.screen.query_one(TabbedContent).query("TabPane")]
        await pilot.press(str(panes.index("metrics") + 1))
        await until(pilot, lambda: isinstance(app.focused, MetricPanel), "a focused panel")
        await pilot.press("enter")  # the focused panel's chart
        await until(pilot, lambda: isinstance(app.screen, MetricDetailScreen), "the chart")
        assert app.screen.query_one(KeyFooter)
        keys = screen_lines(app)[-1]
        assert keys.startswith("? Help esc Back"), keys  # IMPORTANCE's order, help first
        assert "1 15m" in keys and "4 24h" in keys
        assert await help_of(pilot) == set()
        text = str(app.screen.query_one("#help-text").content)
        assert "Keys: a metric's chart" in text
        texts = " ".join(t for _, t in help_lines(app))
        assert "Back: Back to the console" in texts and "24h: Chart the last 24h" in texts
