"""`tminus attach`: another process writes, the attached console follows read-only and
says when the writer ends or disappears. And the console's "end the launch session"."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from textual.widgets import DataTable

from scripted_session import MANUAL
from tminus.commands.recorded import prepare_attach
from tminus.engine.session import holder_of, load_events
from tminus.ui.screens.choose_with_note import ChooseWithNote

from console_factory import make_app, until

WRITER = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    from tminus.engine.session import SessionWriter
    w = SessionWriter(Path(sys.argv[1]), resume=False)
    from tminus.engine.events import SessionStarted
    from tminus.plan.loader import default_plan
    w.append(SessionStarted.for_plan(default_plan(), session=Path(sys.argv[1]).stem,
                                     mode="demo", plan_path="<default plan>"), "erin")
    print("ready", flush=True)
    for line in sys.stdin:
        cmd = line.strip()
        if cmd == "confirm":
            w.append("item.confirmed", "erin", item=sys.argv[2], note="seen")
        elif cmd == "sample":
            w.append("metric.sample", metric="error_rate", value=0.0421)
        elif cmd == "close":
            w.append("session.closed", "erin", outcome="launched", note="done")
        elif cmd == "vanish":
            os._exit(0)  # the lock goes with the process; no session.closed
        print("ok", flush=True)
    """
)


def start_writer(path: Path) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), MANUAL],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    return child


def tell(child: subprocess.Popen[str], cmd: str) -> None:
    assert child.stdin is not None and child.stdout is not None
    child.stdin.write(cmd + "\n")
    child.stdin.flush()
    if cmd != "vanish":
        assert child.stdout.readline().strip() == "ok"


async def test_attach_follows_another_process_and_says_when_it_vanishes() -> None:
    from tminus.core.paths import sessions_dir

    path = sessions_dir() / "20261201T100000Z-musicconnect-demo-abcd.jsonl"
    child = start_writer(path)
    try:
        app, engine = prepare_attach(None)  # the newest open session
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            assert engine.read_only and engine.session is None
            tell(child, "confirm")
            await until(pilot, lambda: MANUAL in engine.state.items)
            await pilot.pause()
            table = app.screen.query_one("#checklist-pre-launch", DataTable)
            assert str(table.get_row(MANUAL)[0]) == "●"
            tell(child, "sample")
            assert engine.poller is not None
            await until(pilot, lambda: engine.poller.series["error_rate"].last_value == 0.0421)
            assert holder_of(path) is not None  # the writer's lock, never ours
            size = path.stat().st_size
            tell(child, "vanish")
            child.wait(timeout=10)
            await until(pilot, lambda: "disappeared" in (app.sub_title or ""))
            await pilot.press("a", "c", "g", "E")  # not offered read-only
            await pilot.pause()
            await engine.shutdown()
        assert path.stat().st_size == size  # attach never wrote
    finally:
        child.kill()


async def test_attach_says_when_the_writer_ends_the_session() -> None:
    from tminus.core.paths import sessions_dir

    path = sessions_dir() / "20261201T110000Z-musicconnect-demo-beef.jsonl"
    child = start_writer(path)
    try:
        app, engine = prepare_attach(path.stem)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            tell(child, "close")
            await until(pilot, lambda: "ended the session (launched)" in (app.sub_title or ""))
            assert engine.state.closed and engine.state.outcome == "launched"
            await engine.shutdown()
    finally:
        child.kill()


async def test_end_the_launch_session_from_the_console(tmp_path: Path) -> None:
    app, engine = make_app(tmp_path / "sessions")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("E")
        await pilot.pause()
        assert isinstance(app.screen, ChooseWithNote)
        await pilot.press("down", "enter")  # rolled back
        await pilot.press(*"canary errors", "enter")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert engine.session is not None
    last = load_events(engine.session.path).events[-1]
    assert last.type == "session.closed" and last.data["outcome"] == "rolled-back"
    assert last.data["note"] == "canary errors" and last.actor == engine.actor
    assert holder_of(engine.session.path) is None
