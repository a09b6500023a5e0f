"""`tminus serve` in real headless Chromium: the console page shows the phase tabs and the
T-minus clock; the status page follows a live session while another process appends to it.
Plus the plain HTTP side: loopback by default, the writable console behind its token."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyte
import pytest

from tminus.commands.console import demo_plan
from tminus.engine.events import SessionStarted
from tminus.engine.session import create_session

from fixtures.served import chromium, chromium_page, need_chromium, tminus_serve


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """One Chromium for the module's pages (each page has its own new context)."""
    need_chromium()
    with chromium() as started:
        yield started


def demo_session() -> Path:
    """A demo session as `tminus demo` starts it, with one metric sample."""
    s = create_session("MusicConnect-demo")
    opening = SessionStarted.for_plan(
        demo_plan("healthy", 1.0, 1),
        session=s.session_id,
        mode="demo",
        plan_path="<default plan>",
        scenario="healthy",
        speed=1.0,
        seed=1,
    )
    s.append(opening)
    s.append("metric.sample", metric="error_rate", value=0.0004)
    s.close(mark_closed=False)
    return s.path


APPENDER = """
import sys
from pathlib import Path
from tminus.engine.session import open_session
w = open_session(Path(sys.argv[1]))
w.append("metric.sample", metric="error_rate", value=0.07)
w.append("trigger.fired", trigger="error-rate", metric="error_rate", value=0.07,
         condition="> 5%", held_s=30.0)
w.append("phase.signed_off", actor="cmdr@host", phase="pre-launch", note="go")
w.append("note.added", actor="cmdr@host", text="holding at the current weight")
w.close(mark_closed=False)
"""


def commands() -> list[list[str]]:
    """The command line of every process of this user that runs Python's tminus."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv = (entry / "cmdline").read_bytes().decode().split("\0")[:-1]
            except OSError:
                continue
            if "tminus.cli" in argv:
                out.append(argv)
    return out


def test_the_console_page_shows_the_phase_tabs_and_the_tminus_clock(browser: object) -> None:
    path = demo_session()
    with tminus_serve(path.stem) as (base, lines), chromium_page(browser, base) as page:
        assert any("read-only" in line for line in lines)
        frames: list[bytes] = []
        size: dict[str, int] = {}

        def on_socket(ws):  # type: ignore[no-untyped-def]
            q = dict(re.findall(r"(width|height)=(\d+)", ws.url))
            size.update({k: int(v) for k, v in q.items()})
            ws.on(
                "framereceived",
                lambda payload: frames.append(
                    payload if isinstance(payload, bytes) else payload.encode()
                ),
            )

        page.on("websocket", on_socket)
        page.goto(base + "/")
        page.wait_for_selector(".xterm-screen", timeout=15000)
        # what xterm.js draws is what the console wrote: replay its bytes into a terminal
        screen = pyte.Screen(size.get("width", 80), size.get("height", 24))
        stream = pyte.ByteStream(screen)
        clock = r"T-(\d+d )?\d\d:\d\d:\d\d"
        wanted = ["1 T-7d Pre-Launch Validation", "2 T-0 Launch Day", "Contacts & Comms"]
        wanted += ["READ-ONLY"]
        # until all is drawn (15 s at most): the clock's days too, which the wait once left
        # out, so it waited its whole 15 s on every run
        for _ in range(150):
            page.wait_for_timeout(100)
            while frames:
                stream.feed(frames.pop(0))
            text = "\n".join(screen.display)
            if all(w in text for w in wanted) and re.search(clock, text):
                break
        text = "\n".join(screen.display)
        for w in wanted:
            assert w in text, text
        assert re.search(clock, text), text
        # the process drawing it is `tminus attach` on this session
        assert ["-m", "tminus.cli", "attach", str(path)] in [c[1:] for c in commands()], commands()
    # stopping the server stopped the console process it started for this viewer
    assert not [line for line in lines if line.startswith("LEFTOVER")], lines


def test_the_console_page_asks_no_host_but_the_server(browser: object) -> None:
    """textual-serve's own page loads a web font from the internet; ours must not (an
    offline bastion would wait on it). Every request the browser makes is recorded."""
    from urllib.parse import urlsplit

    path = demo_session()
    with tminus_serve(str(path)) as (base, _lines), chromium_page(browser, base) as page:
        asked: list[str] = []
        page.on("request", lambda request: asked.append(request.url))
        page.goto(base + "/")
        page.wait_for_selector(".xterm-screen", timeout=15000)
        page.wait_for_function("document.body.classList.contains('-first-byte')", timeout=15000)
        page.evaluate("document.fonts.ready.then(() => true)")
        hosts = {urlsplit(url).hostname for url in asked if not url.startswith("data:")}
        assert hosts == {"127.0.0.1"}, asked
        # the font comes from the package's own copy, through the same server
        assert any("/static/fonts/RobotoMono" in url for url in asked), asked
        assert page.evaluate("document.fonts.check('16px \"Roboto Mono\"')")


def test_the_status_page_follows_a_live_session_another_process_writes(browser: object) -> None:
    path = demo_session()
    with tminus_serve(str(path)) as (base, _lines), chromium_page(browser, base) as page:
        page.goto(base + "/status")
        page.wait_for_function("document.getElementById('conn').textContent.startsWith('live')")
        assert page.inner_text("#weight") == "0%"
        assert "0.04%" in page.inner_text("#metrics")
        assert "Pre-Launch Validation" in page.inner_text("#phase .big")
        assert re.fullmatch(r"T[-+](\d+d )?\d\d:\d\d:\d\d", page.inner_text("#clock"))
        subprocess.run([sys.executable, "-c", APPENDER, str(path)], check=True, timeout=30)
        page.wait_for_function(
            "document.getElementById('decisions').textContent.includes('holding at')",
            timeout=10000,
        )
        assert "FIRING" in page.inner_text("#triggers")
        assert "Error rate > 5%" in page.inner_text("#triggers")
        assert page.inner_text("#phase .big") == "Launch Day"
        decisions = page.inner_text("#decisions")
        # the report's own timeline rows, newest first
        assert "Signed off Pre-Launch Validation: “go”" in decisions
        assert "Note: “holding at the current weight”" in decisions
        assert "Trigger fired: Error rate > 5%" in decisions
        assert decisions.index("Note:") < decisions.index("Trigger fired")
        assert "7%" in page.inner_text("#metrics") and "bad" in page.inner_text("#metrics")


def test_loopback_by_default_and_the_writable_console_needs_its_token():
    path = demo_session()
    with tminus_serve(path.stem, "--writable") as (base, lines):
        assert base.startswith("http://127.0.0.1:")
        assert any(line.startswith("listening on loopback only") for line in lines)
        (console,) = [line for line in lines if "WRITABLE" in line]
        token = console.rsplit("token=", 1)[1]
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(base + "/", timeout=10)
        assert refused.value.code == 403
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(base + "/?token=wrong", timeout=10)
        with pytest.raises(urllib.error.HTTPError) as no_socket:  # nor its websocket
            urllib.request.urlopen(base + "/ws", timeout=10)
        assert no_socket.value.code == 403
        with urllib.request.urlopen(f"{base}/?token={token}", timeout=10) as ok:
            assert ok.status == 200
            assert "tminus_token=" in ok.headers["Set-Cookie"]
            assert "HttpOnly" in ok.headers["Set-Cookie"]
        # observers need no token
        with urllib.request.urlopen(base + "/status.json", timeout=10) as status:
            data = json.loads(status.read())
        assert data["launch"] == "MusicConnect" and data["phase"] == "Pre-Launch Validation"
        assert data["metrics"][0]["text"] == "0.04%"


def test_serve_refuses_a_session_that_does_not_exist():
    from tminus.cli import main

    assert main(["serve", "no-such-session"]) == 2


def test_the_writable_console_resumes_the_session_or_follows_it_as_attach_does():
    from tminus.commands.serve_console import console_app
    from tminus.engine.session import open_session

    path = demo_session()
    app = console_app(path)
    engine = app.engine
    try:
        assert not engine.read_only and engine.session is not None and app.notice == ""
    finally:
        engine.session.close(mark_closed=False)  # type: ignore[union-attr]
    holder = open_session(path)  # the commander's terminal console holds it
    try:
        app = console_app(path)
        assert app.engine.read_only and app.engine.session is None
        # the follower is `tminus attach`'s own: its notice, its recorded metrics
        assert "Opened read-only. Attached read-only to" in app.notice
        assert app.engine.state.metrics["error_rate"][1] == 0.0004  # the log so far, folded
    finally:
        holder.close(mark_closed=False)


def test_the_read_only_browser_console_is_tminus_attach(tmp_path: Path):
    import shlex

    from tminus.commands.serve import console_command

    path = tmp_path / "s.jsonl"
    argv = shlex.split(console_command(path, writable=False))
    assert argv[0] == "exec" and argv[2:] == ["-m", "tminus.cli", "attach", str(path)]
    writable = shlex.split(console_command(path, writable=True))
    assert writable[2:] == ["-m", "tminus.commands.serve_console", str(path), "--writable"]


def test_a_browser_viewer_of_attach_never_saves_a_theme(monkeypatch):
    """The console textual-serve runs for a viewer is the server user's: a viewer picking a
    theme must not write that user's config (the terminal `tminus attach` still does)."""
    from tminus.commands.recorded import prepare_attach

    path = demo_session()
    app, _ = prepare_attach(str(path))
    assert app.remember_theme
    monkeypatch.setenv("TEXTUAL_DRIVER", "textual.drivers.web_driver:WebDriver")
    app, _ = prepare_attach(str(path))
    assert not app.remember_theme


def test_the_console_page_names_the_host_the_browser_asked_for():
    """Bound to every interface, the server's own address (0.0.0.0) is no address to
    connect to: the page's websocket and static URLs use the host the browser asked for."""
    path = demo_session()
    with tminus_serve(str(path)) as (base, _lines):
        port = base.rsplit(":", 1)[1]
        asked = urllib.request.Request(base + "/", headers={"Host": f"localhost:{port}"})
        with urllib.request.urlopen(asked, timeout=10) as page:
            html = page.read().decode()
    assert f'data-session-websocket-url="ws://localhost:{port}/ws"' in html, html
    assert f"http://localhost:{port}/static/fonts/RobotoMono" in html
    assert "127.0.0.1" not in html
