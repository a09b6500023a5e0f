"""A user action that fails is shown, named, and logged: here a note on a full disk.

The disk is a real 400 KB tmpfs filled to the last byte (mounting needs root); the session
writer hits ENOSPC for real.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.events import Paste
from textual.widgets import Input
from textual.widgets._toast import Toast

from tminus.engine.session import load_events
from tminus.ui.screens.note_prompt import NotePrompt

from console_factory import make_app, small_plan


@pytest.fixture
def full_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A tiny tmpfs as TMINUS_HOME; call `fill(path)` on it to use up every byte."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs to fill it needs root")
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=400k,mode=0700", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    monkeypatch.setenv("TMINUS_HOME", str(mount))
    try:
        yield mount
    finally:
        if subprocess.run(["umount", str(mount)], check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> None:
    # dd stops at ENOSPC with a non-zero status: that is the point
    subprocess.run(
        ["dd", "if=/dev/zero", f"of={disk / 'filler'}", "bs=4k"],
        capture_output=True,
        check=False,
    )
    with pytest.raises(OSError), open(disk / "probe", "wb") as fh:
        fh.write(b"x" * 8192)
        fh.flush()
        os.fsync(fh.fileno())


async def test_a_note_that_cannot_be_written_is_shown_as_failed(full_disk, caplog):
    caplog.set_level(logging.ERROR, logger="tminus")
    app, engine = make_app(full_disk / "sessions", small_plan())
    try:
        async with app.run_test(size=(120, 40), notifications=True) as pilot:
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert engine.state.session_id  # session.started is on the disk
            fill(full_disk)
            await pilot.press("down", "n")  # a note on the smoke test
            await pilot.pause()
            assert isinstance(app.screen, NotePrompt)
            await pilot.press(*"db failover ok")
            # a pasted log excerpt: longer than a page, so the append needs a new block
            # (a short line could still land in the session file's last, part-used page)
            app.screen.query_one(Input).post_message(Paste(" " + "log line. " * 500))
            await pilot.pause()
            await pilot.press("enter")
            await app.workers.wait_for_complete()
            await pilot.pause()
            await pilot.pause()

            errors = [n for n in app._notifications if n.severity == "error"]
            assert len(errors) == 1, [n.message for n in app._notifications]
            message = errors[0].message
            assert message.startswith("Saving the note failed: cannot write ")
            assert "No space left on device" in message
            toasts = [str(t.render()) for t in app.screen.query(Toast)]
            assert any("Saving the note failed" in t for t in toasts)  # on screen, not only queued
            # the console did not pretend: no note in the state, the detail pane, or the log
            assert not engine.item_state("smoke-test") or not engine.item_state("smoke-test").notes
            detail = str(app.screen.query_one("#detail-ready #detail-body").content)
            assert "db failover ok" not in detail
    finally:
        if engine.session is not None:
            with contextlib.suppress(Exception):
                engine.session.close(mark_closed=False)
    log_path = full_disk / "sessions" / "test-session.jsonl"
    assert b"db failover ok" not in log_path.read_bytes()
    assert not load_events(log_path).warnings  # no torn line left behind: the log stays whole
    (logged,) = [r.getMessage() for r in caplog.records if r.name == "tminus.console"]
    assert logged.startswith(message + "\n") and "SessionError" in logged  # with its traceback


async def test_a_theme_that_cannot_be_saved_is_shown_and_logged_to_the_console_log(tmp_path):
    home = Path(os.environ["TMINUS_HOME"])
    config = home / "config" / "config.toml"
    config.mkdir(parents=True)  # a directory where the file should be: the save must fail
    app, _ = make_app(tmp_path / "sessions", small_plan())
    app.remember_theme = True
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await pilot.pause()
        app.theme = "tminus-light"  # what the command palette's theme picker does
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        (error,) = [n.message for n in app._notifications if n.severity == "error"]
        assert error.startswith("Saving the theme failed: ")
        assert str(config) in error
    log_file = home / "console.log"
    assert error in log_file.read_text(encoding="utf-8")
    assert log_file.stat().st_mode & 0o777 == 0o600
