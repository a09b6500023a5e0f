"""Old terminals: ASCII for a non-UTF-8 locale (or --ascii), and the colour depth TERM allows."""

from __future__ import annotations

import fcntl
import html
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time
from pathlib import Path

from tminus.ui.terminal_caps import apply, detect

from console_factory import make_app, until


def test_detect_locale_and_term():
    utf8 = {"LANG": "en_US.UTF-8", "TERM": "xterm-256color"}
    assert detect(utf8).ascii is False
    assert detect(utf8).color_system == "256"
    assert detect({**utf8, "COLORTERM": "truecolor"}).color_system == "truecolor"
    assert detect({**utf8, "LANG": "C"}).ascii is True
    assert detect({"LC_ALL": "C", "LANG": "en_US.UTF-8", "TERM": "xterm"}).ascii is True
    assert detect({**utf8, "TERM": "vt100"}).ascii is True
    assert detect(utf8, force_ascii=True).ascii is True
    dumb = detect({"LANG": "C.UTF-8", "TERM": "dumb", "COLORTERM": "truecolor"})
    assert dumb.colour is False and dumb.color_system == "standard"
    env: dict[str, str] = {}
    apply(dumb, env)
    assert env["TEXTUAL_COLOR_SYSTEM"] == "standard" and env["NO_COLOR"] == "1"
    mine = {"TEXTUAL_COLOR_SYSTEM": "256"}
    apply(detect({**utf8, "LANG": "C"}), mine)
    assert mine["TEXTUAL_COLOR_SYSTEM"] == "256" and mine["TMINUS_ASCII"] == "1"


def screen_text(app) -> str:
    svg = app.export_screenshot()
    texts = re.findall(r"<text [^>]*>([^<]*)</text>", svg)
    return html.unescape("".join(texts)).replace("\xa0", " ")


async def test_ascii_mode_draws_only_ascii_on_every_tab(tmp_path: Path):
    app, _engine = make_app(tmp_path)
    app.ascii_only = True
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("a")  # results: status symbols and values
        tabs = [t.id for t in app.screen.query("TabPane")]
        assert len(tabs) >= 6
        content = app.screen.query_one("TabbedContent")
        for n in range(1, len(tabs) + 1):
            await pilot.press(str(n))
            # that tab drawn, not the one before it (which would pass for ASCII too)
            await until(pilot, lambda n=n: content.active == tabs[n - 1], f"tab {n}")
            await pilot.pause()
            text = screen_text(app)
            assert text.strip()
            assert text.isascii(), (n, sorted({c for c in text if not c.isascii()}))


async def test_unicode_mode_keeps_its_symbols(tmp_path: Path):
    # the peer of the ASCII test: without it, the same screen is not ASCII
    app, _engine = make_app(tmp_path)
    app.ascii_only = False
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = screen_text(app)
    assert not text.isascii()


def read_console(env: dict[str, str], seconds: float = 8.0) -> bytes:
    """`tminus demo` in a real pty with this environment; everything it wrote."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: the console
        os.execvpe(sys.executable, [sys.executable, "-m", "tminus.cli", "demo"], env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    out = bytearray()
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                try:
                    out += os.read(fd, 65536)
                except OSError:
                    break
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)
    return bytes(out)


def console_env(**extra: str) -> dict[str, str]:
    keep = ("PATH", "HOME", "TMINUS_HOME", "PYTHONPATH")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env["PYTHONPATH"] = str(Path(__file__).parents[1] / "src")
    env.update(extra)
    return env


def test_c_locale_and_dumb_terminal_in_a_real_pty():
    out = read_console(console_env(LANG="C", TERM="dumb", COLORTERM="truecolor"))
    assert b"MusicConnect" in out
    assert out.isascii(), sorted({b for b in out if b > 127})[:10]
    assert b"38;2;" not in out and b"48;2;" not in out  # no 24-bit colour
    assert not re.search(rb"\x1b\[[0-9;]*3[0-7]m", out)  # and no colour at all


def test_utf8_truecolor_terminal_in_a_real_pty():
    # the peer: the same console on a capable terminal sends Unicode and 24-bit colour
    out = read_console(console_env(LANG="C.UTF-8", TERM="xterm-256color", COLORTERM="truecolor"))
    assert b"MusicConnect" in out
    assert not out.isascii()
    assert b"38;2;" in out or b"48;2;" in out
