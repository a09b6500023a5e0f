"""Replay's cursor moves fold off the UI thread, coalesce a burst of keys, and stay exact
while the growth poll extends the recording under them.

Real keys reach the real app through its driver as a terminal delivers them: a burst
arrives all at once (Pilot's `press` waits for the process to go idle after each key,
which a fold running in a thread never lets it do). The logs are the benchmark's
synthetic 24-hour mix; the oracle is the engine's own fold of the events read back.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.app import App

from test_resume_replay import essence
from tminus.commands.recorded import prepare_replay
from tminus.engine.log_index import STORED_EVERY
from tminus.engine.recording import extend, read_recording
from tminus.engine.session import ENVELOPE, SessionWriter, load_events
from tminus.engine.state import SessionState, apply, fold
from tminus.ui.screens.help import HelpScreen
from tminus.ui.widgets.timeline_bar import TimelineBar

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from sessions import synthesize

# just under three checkpoint stretches: a move near the end folds almost a whole one
BIG = 3 * STORED_EVERY - 12
# The growing-log tests race folds against extends across checkpoint strides, not long
# folds: they lower the stride to SMALL_EVERY (as tests/test_snapshots.py does) and scale
# their logs, batches and pacing with it, so they cross as many strides in a fifth of the
# events (and of the time: each took about 25 s at the real stride).
SMALL_EVERY = STORED_EVERY // 5
GROWN = 2 * SMALL_EVERY + 600  # the growing log's events, once all are written
BATCH = SMALL_EVERY // 50  # events the writer submits together


@pytest.fixture
def small_stride(monkeypatch: pytest.MonkeyPatch) -> None:
    from tminus.engine import log_index

    monkeypatch.setattr(log_index, "STORED_EVERY", SMALL_EVERY)


@pytest.fixture
def fine_switching() -> Any:
    """Threads take turns every 10 µs instead of 5 ms: a race between two threads gets
    many more chances to show within one test (the usual way to shake one out)."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    yield
    sys.setswitchinterval(before)


@pytest.fixture(scope="module")
def big_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "big.jsonl"
    synthesize(path, BIG)
    return path


def send_keys(app: App[Any], *keys: str) -> None:
    """Keys as a terminal delivers a burst: all queued at once, nothing waited for."""
    driver = app._driver
    assert driver is not None
    for key in keys:
        event = events.Key(key, None)
        event.set_sender(app)
        driver.send_message(event)


async def until(condition: Any, seconds: float = 15.0) -> bool:
    """Wait (in small sleeps, bounded) for `condition()`; returns whether it came."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


async def test_a_burst_of_keys_computes_few_folds_and_ends_at_the_last(big_log: Path) -> None:
    app, controller = prepare_replay(str(big_log))
    count = controller.rec.count
    start = count - 40  # deep in the last stretch: each move folds about 10,000 events
    assert start % STORED_EVERY > STORED_EVERY - 100
    controller.move_to(start)
    applied: list[int] = []
    controller.subscribe(lambda: applied.append(controller.cursor))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        send_keys(app, *["full_stop"] * 20)
        assert await until(lambda: controller.cursor == start + 20)  # the last key's target
        shown = list(applied)
        await app.workers.wait_for_complete()
        await pilot.pause()
        # and it ends there: no fold left under way shows an older moment after it, and
        # the moments shown only went forward
        assert applied == shown and controller.cursor == start + 20, applied
        assert applied == sorted(applied), applied
        # far fewer than 20 states were shown (and folds computed to the end)
        assert len(applied) <= 5, applied
        assert controller.computed <= 5
        want = fold(load_events(big_log).events[: start + 20])
        assert essence(app.engine.state) == essence(want)
        assert app.engine.state.last_seq == want.last_seq
        bar = str(app.screen.query_one("#timeline-bar").render())
        assert f"event {start + 20}/{count}" in bar and "moving" not in bar


async def test_a_move_does_not_hold_up_the_keys_after_it(big_log: Path) -> None:
    app, controller = prepare_replay(str(big_log))
    count = controller.rec.count
    assert (count - 1) % STORED_EVERY > STORED_EVERY - 100  # a long fold
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        timeline = app.screen.query_one(TimelineBar)
        seen: dict[str, object] = {}

        def help_opened() -> bool:
            if isinstance(app.screen, HelpScreen) and not seen:
                # the moment the key after the move was handled: the move not yet shown
                seen["cursor"] = controller.cursor
                seen["bar"] = str(timeline.render())
            return bool(seen)

        send_keys(app, "comma", "question_mark")  # one event back, then the help screen
        assert await until(help_opened)
        assert seen["cursor"] == count, "the help screen waited for the fold"
        assert "moving to event" in str(seen["bar"])
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert controller.cursor == count - 1
        want = fold(load_events(big_log).events[: count - 1])
        assert essence(app.engine.state) == essence(want)


def writer_thread(
    source: list[dict[str, Any]],
    path: Path,
    done: threading.Event,
    shown_at: Callable[[int], bool],
) -> None:
    """The real SessionWriter appending the source's remaining events, a few at a time
    (submitted together, as a live console's concurrent events share an fsync).

    Every SMALL_EVERY / 5 events it waits (10 s at most) until the console has shown
    the cursor at the end it wrote: on a fast machine the whole log was otherwise
    written within two growth polls, so few cursors were shown while the log grew."""
    writer = SessionWriter(path, resume=True)
    try:
        rest = source[writer.last_seq :]
        for at in range(0, len(rest), BATCH):
            if at and at % (SMALL_EVERY // 5) == 0:
                written = writer.last_seq
                deadline = time.monotonic() + 10
                while not shown_at(written) and time.monotonic() < deadline:
                    done.wait(0.01)
            batch = [
                writer.submit(
                    obj["type"],
                    obj.get("actor"),
                    **{k: v for k, v in obj.items() if k not in ENVELOPE},
                )
                for obj in rest[at : at + BATCH]
            ]
            batch[-1].result()
            done.wait(0.005)
    finally:
        writer.close(mark_closed=False)
        done.set()


async def test_moves_stay_exact_while_the_log_grows(
    tmp_path: Path,
    big_log: Path,
    monkeypatch: pytest.MonkeyPatch,
    small_stride: None,
    fine_switching: None,
) -> None:
    import tminus.ui.screens.replay as replay_screen

    # each poll reads a hundred lines or more: long enough for moves to land during one
    monkeypatch.setattr(replay_screen, "GROWTH_POLL", 0.2)
    lines = big_log.read_text().splitlines()
    source = [json.loads(line) for line in lines[:GROWN]]
    path = tmp_path / "growing.jsonl"
    path.write_text("\n".join(lines[: SMALL_EVERY // 2]) + "\n")
    path.chmod(0o600)
    app, controller = prepare_replay(str(path))
    shown: list[tuple[int, dict[str, object], int]] = []
    shown_counts: set[int] = set()

    def record() -> None:
        shown.append((controller.cursor, essence(app.engine.state), app.engine.state.last_seq))
        shown_counts.add(controller.cursor)

    controller.subscribe(record)
    done = threading.Event()
    # mostly the end (the state a growing recording changes under it), and moves back
    keys = ["end", "end", "home", "end", "end", "full_stop", "end", "end", "end", "comma"]
    keys += ["end", "end", "home", "end", "end", "full_stop", "end", "end", "end"] * 2
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        thread = threading.Thread(
            target=writer_thread, args=(source, path, done, shown_counts.__contains__)
        )
        thread.start()
        try:
            rounds = 0
            while not done.is_set() and rounds < 5_000:
                send_keys(app, keys[rounds % len(keys)])
                await asyncio.sleep(0.005)
                rounds += 1
        finally:
            done.set()
            await asyncio.to_thread(thread.join, 30)
        # the poll catches up with the end; a cursor at the end follows it
        send_keys(app, "end")
        assert await until(lambda: controller.rec.count == len(source), 20)
        send_keys(app, "end")
        assert await until(lambda: controller.cursor == len(source))
        await app.workers.wait_for_complete()
        await pilot.pause()
    written = load_events(path).events
    assert len(written) == len(source)
    rec = controller.rec  # the log grew across two checkpoint strides while replayed
    assert {SMALL_EVERY, 2 * SMALL_EVERY} <= {c for c, _ in rec.checkpoints} | set(rec.stored)
    counts = {c for c, _, _ in shown}
    assert len(counts) >= 8 and max(counts) == len(source) and rounds >= 20
    # one pass of the engine's fold, compared at every cursor that was shown
    wanted = sorted(counts)
    at: dict[int, tuple[dict[str, object], int]] = {}
    state, i = SessionState(), 0
    for n in wanted:
        while i < n:
            apply(state, written[i])
            i += 1
        at[n] = (essence(state), state.last_seq)
    wrong = [(c, seq) for c, e, seq in shown if (e, seq) != at[c]]
    assert not wrong, f"{len(wrong)} of {len(shown)} states differ from the fold: {wrong[:5]}"


def test_folds_agree_with_the_fold_while_another_thread_extends(
    tmp_path: Path, big_log: Path, small_stride: None, fine_switching: None
) -> None:
    """The engine's halves without the console: one thread writes (the real
    SessionWriter) and extends the recording as the growth poll does, while this one
    asks for the state at the end again and again, as a cursor following the end does."""
    lines = big_log.read_text().splitlines()
    source = [json.loads(line) for line in lines[: SMALL_EVERY + 800]]
    path = tmp_path / "growing.jsonl"
    path.write_text("\n".join(lines[:600]) + "\n")
    path.chmod(0o600)
    rec = read_recording(path, final_only=True)
    done = threading.Event()
    asked: set[int] = set()  # the ends this thread has asked for

    def write_and_extend() -> None:
        writer = SessionWriter(path, resume=True)
        try:
            rest = source[writer.last_seq :]
            for at in range(0, len(rest), BATCH):
                for obj in rest[at : at + BATCH]:
                    data = {k: v for k, v in obj.items() if k not in ENVELOPE}
                    last = writer.submit(obj["type"], obj.get("actor"), **data)
                last.result()
                extend(rec)
                # paced on the reader (10 s at most): a fast machine otherwise wrote the
                # whole log within a few of its reads, and few ends were asked for
                deadline = time.monotonic() + 10
                while rec.count not in asked and time.monotonic() < deadline:
                    done.wait(0.001)
        finally:
            writer.close(mark_closed=False)
            done.set()

    thread = threading.Thread(target=write_and_extend)
    thread.start()
    got: list[tuple[int, dict[str, object], int]] = []
    try:
        while not done.is_set():
            n = rec.count
            state = rec.state_at(n)
            got.append((n, essence(state), state.last_seq))
            asked.add(n)
    finally:
        thread.join(30)
    written = load_events(path).events
    assert len(written) == len(source) == rec.count
    assert SMALL_EVERY in {c for c, _ in rec.checkpoints}  # extended across a stride
    assert len({n for n, _, _ in got}) >= 5
    at: dict[int, tuple[dict[str, object], int]] = {}
    state, i = SessionState(), 0
    for n in sorted({n for n, _, _ in got}):
        while i < n:
            apply(state, written[i])
            i += 1
        at[n] = (essence(state), state.last_seq)
    wrong = [(n, seq) for n, e, seq in got if (e, seq) != at[n]]
    assert not wrong, f"{len(wrong)} of {len(got)} states differ from the fold: {wrong[:5]}"
