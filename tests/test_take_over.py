"""A read-only follower learns that the writer quit; `tminus run --take-over` continues the
session after that, recorded as session.taken_over."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from tminus.commands.console import prepare_run
from tminus.core.errors import UsageError
from tminus.engine.session import load_events
from tminus.plan.loader import load_plan

from console_factory import DATA

SMALL = DATA / "small_plan.toml"


async def test_follower_hears_the_writer_quit_then_takes_over():
    plan = load_plan(SMALL)
    path = str(SMALL.resolve())
    writer = prepare_run(plan, path, read_only=False, new=True)
    writer.engine.attach_loop(asyncio.get_running_loop())
    assert writer.start is not None
    await writer.start()
    follower = prepare_run(plan, path, read_only=False, new=False)
    assert follower.engine.read_only
    heard: list[str] = []
    follower.engine.subscribe_writer_gone(heard.append)
    assert follower.start is not None
    await follower.start()
    try:
        with pytest.raises(UsageError, match="works once that console has quit"):
            prepare_run(plan, path, read_only=False, new=False, take_over=True)
        await asyncio.sleep(1.2)
        assert heard == []  # the writer is still there
        actor = writer.engine.actor
        await writer.engine.shutdown()
        deadline = asyncio.get_running_loop().time() + 10
        while not heard and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.2)
        assert len(heard) == 1 and heard[0].startswith(actor)  # once, naming the writer
        assert follower.engine.writer_gone == heard[0]
    finally:
        await follower.engine.shutdown()

    taken = prepare_run(plan, path, read_only=False, new=False, take_over=True)
    assert not taken.engine.read_only and "Took over session" in taken.notice
    taken.engine.attach_loop(asyncio.get_running_loop())
    assert taken.start is not None
    await taken.start()
    await taken.engine.shutdown()
    events = load_events(taken.engine.session.path).events
    assert events[-1].type == "session.taken_over"
    assert events[-1].data["previous"] == actor


def test_take_over_with_nothing_to_take_over_is_bad_input(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "tminus.cli", "run", str(SMALL), "--take-over"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 2
    assert "no unfinished session of this plan to take over" in out.stderr
    assert "Traceback" not in out.stderr


async def test_the_follower_notice_says_read_only_once():
    plan = load_plan(SMALL)
    path = str(SMALL.resolve())
    writer = prepare_run(plan, path, read_only=False, new=True)
    writer.engine.attach_loop(asyncio.get_running_loop())
    assert writer.start is not None
    await writer.start()
    try:
        follower = prepare_run(plan, path, read_only=False, new=False)
        assert follower.engine.read_only
        assert "open for writing by" in follower.notice
        assert follower.notice.lower().count("read-only") == 1, follower.notice
    finally:
        await writer.engine.shutdown()
