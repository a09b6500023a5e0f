"""User key remapping from config.toml's [keymap], with real keys through the real app."""

from __future__ import annotations

import os
import re
from pathlib import Path

from textual.widgets._footer import FooterKey

from tminus.ui.keymap import binding_ids
from tminus.ui.keys import APP_BINDINGS, CONSOLE_BINDINGS
from tminus.ui.screens.help import HelpScreen
from tminus.ui.screens.note_prompt import NotePrompt

from console_factory import make_app, small_plan


def write_config(text: str) -> Path:
    path = Path(os.environ["TMINUS_HOME"]) / "config" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def footer_keys(app) -> dict[str, str]:
    return {k.description: k.key_display for k in app.screen.query(FooterKey)}


def test_every_binding_has_an_id():
    assert all(b.id for b in CONSOLE_BINDINGS + APP_BINDINGS)
    assert {"note", "run-selected", "help", "close-help"} <= set(binding_ids())


async def test_a_remapped_key_works_and_the_footer_shows_it(tmp_path):
    write_config('[keymap]\nnote = "m"\n')
    app, _ = make_app(tmp_path, small_plan())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert footer_keys(app)["Note"] == "m"
        await pilot.press("down", "n")  # the old key does nothing now
        await pilot.pause()
        assert not isinstance(app.screen, NotePrompt)
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, NotePrompt)
        await pilot.press("escape", "question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        help_text = str(app.screen.query_one("#help-text").content)
        assert re.search(r"\[b\]m +\[/b\] Note: Add a note", help_text)
        assert not [n for n in app._notifications if n.severity == "error"]


async def test_bad_keymap_entries_are_reported_and_skipped(tmp_path):
    path = write_config(
        '[keymap]\nnote = "m"\nlaunch-rockets = "z"\nrun-selected = 5\nconfirm = "ctrl r"\n'
    )
    app, _ = make_app(tmp_path, small_plan())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        (error,) = [n.message for n in app._notifications if n.severity == "error"]
        assert str(path) in error
        assert "'launch-rockets' is not a binding id" in error
        assert "run-selected = 5 is not a key" in error
        assert "confirm = 'ctrl r' is not a key" in error
        keys = footer_keys(app)
        assert keys["Note"] == "m"  # the valid entry still applies
        assert keys["Run"] == "r" and keys["Confirm"] == "c"  # the bad ones keep their keys


async def test_a_key_taken_from_another_binding_is_reported(tmp_path):
    write_config('[keymap]\nnote = "r"\n')  # r was "Run"
    app, _ = make_app(tmp_path, small_plan())
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("down", "r")
        await pilot.pause()
        assert isinstance(app.screen, NotePrompt)
        warnings = [n.message for n in app._notifications if n.severity == "warning"]
        assert warnings == [
            "[keymap]: note = 'r' takes the key of 'Run' (run-selected), which now has none."
        ]


def test_the_readme_names_every_binding_id():
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    ids = readme.split("Binding ids:", 1)[1].split("The footer, help", 1)[0]
    named = set(re.findall(r"`([a-z0-9-]+)`", ids)) | {f"tab-{n}" for n in range(1, 10)}
    assert set(binding_ids()) <= named, set(binding_ids()) - named
