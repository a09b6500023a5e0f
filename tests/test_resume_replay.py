"""Resume after SIGKILL restores the same fold; replay shows the state at a cursor."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from textual.widgets import DataTable

from scripted_session import MANUAL, record_session
from tminus.commands.recorded import prepare_replay
from tminus.engine.recording import read_recording
from tminus.engine.session import load_events, open_session
from tminus.engine.state import SessionState, apply, apply_sample, fold
from tminus.ui.screens.help import HelpScreen
from tminus.ui.widgets.timeline_bar import TimelineBar

from console_factory import until

CHILD = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from tminus.engine.session import ENVELOPE, SessionWriter
    ref = [json.loads(x) for x in Path(sys.argv[1]).read_text().splitlines()]
    path = Path(sys.argv[2])
    w = SessionWriter(path, resume=path.exists())
    for obj in ref[w.last_seq:]:
        data = {k: v for k, v in obj.items() if k not in ENVELOPE}
        ev = w.append(obj["type"], obj.get("actor"), **data)
        print(ev.seq, flush=True)
        time.sleep(0.01)
    """
)


def essence(state: SessionState) -> dict[str, object]:
    """What the console shows, without the timestamps (a re-written log has new ones)."""
    return {
        "items": {
            k: (v.running, v.last.outcome if v.last else None, bool(v.confirmed), len(v.notes))
            for k, v in sorted(state.items.items())
        },
        "signoffs": sorted(state.signoffs),
        "refusals": sorted(state.refusals),
        "firing": sorted(t.id for t in state.firing),
        "closed": (state.closed, state.outcome),
        "metrics": {k: v[1] for k, v in sorted(state.metrics.items())},
        "last_seq": state.last_seq,
    }


async def test_resume_after_sigkill_restores_the_same_fold(tmp_path: Path) -> None:
    ref = tmp_path / "reference.jsonl"
    await record_session(ref)
    ref_events = load_events(ref).events
    path = tmp_path / "crash.jsonl"
    rng = random.Random(7)
    points = 0
    for _ in range(6):
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(ref), str(path)], stdout=subprocess.PIPE, text=True
        )
        assert child.stdout is not None
        first = child.stdout.readline()  # writing has begun (start-up time varies with load)
        time.sleep(rng.uniform(0.0, 0.4))
        os.kill(child.pid, signal.SIGKILL)
        child.communicate(timeout=10)
        if not first:
            continue  # it had nothing left to write
        resumed = SessionState()
        writer = open_session(  # the resume path of `tminus run`
            path,
            on_load=lambda ev, st=resumed: apply(st, ev),
            on_sample=lambda obj, st=resumed: apply_sample(st, obj),
        )
        writer.close(mark_closed=False)
        n = resumed.last_seq
        assert essence(resumed) == essence(fold(load_events(path).events))
        assert essence(resumed) == essence(fold(ref_events[:n]))
        rec = read_recording(path)
        assert essence(rec.state_at(n)) == essence(resumed)
        points += 1
    assert points >= 3


async def test_replay_shows_the_state_at_the_cursor(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    await record_session(path)
    size = path.stat().st_size
    events = load_events(path).events
    app, controller = prepare_replay(str(path))
    engine = app.engine
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert controller.cursor == len(events) and engine.state.closed
        assert engine.state.outcome == "rolled-back"
        await pilot.press("home")
        await pilot.pause()
        assert controller.cursor == 0 and not engine.state.items
        table = app.screen.query_one("#checklist-pre-launch", DataTable)
        assert str(table.get_row(MANUAL)[0]) == "○"
        assert engine.poller is not None
        assert engine.poller.series["error_rate"].last_value is None
        # first decision: the weight the session found at its start (recorded by tminus)
        await pilot.press("greater_than_sign")
        await pilot.pause()
        start = events[controller.cursor - 1]
        assert start.type == "rollout.applied" and start.actor == "tminus"
        # next decision: the confirmation; the checklist shows it
        await pilot.press("greater_than_sign")
        await pilot.pause()
        assert events[controller.cursor - 1].type == "item.confirmed"
        assert engine.state.items[MANUAL].confirmed is not None
        assert str(table.get_row(MANUAL)[0]) == "●"
        await pilot.press("greater_than_sign")
        await pilot.pause()
        assert events[controller.cursor - 1].type == "phase.signoff_refused"
        assert MANUAL in engine.state.items and not engine.state.firing
        await pilot.press("greater_than_sign")
        await pilot.pause()
        assert events[controller.cursor - 1].type == "trigger.fired"
        assert [t.id for t in engine.state.firing] == ["error-rate"]
        recorded = [
            e.data["value"]
            for e in events[: controller.cursor]
            if e.type == "metric.sample" and e.data["metric"] == "error_rate"
        ]
        assert engine.poller.series["error_rate"].last_value == recorded[-1]
        bar = str(app.screen.query_one(TimelineBar).render())
        assert "REPLAY" in bar and f"event {controller.cursor}/{len(events)}" in bar
        # back one decision, then one event at a time
        await pilot.press("less_than_sign")
        await pilot.pause()
        assert events[controller.cursor - 1].type == "phase.signoff_refused"
        assert not engine.state.firing
        at = controller.cursor
        await pilot.press("full_stop", "full_stop", "comma")
        await pilot.pause()
        assert controller.cursor == at + 1
        await pilot.press("right_square_bracket")  # a minute on: the whole (short) session
        await pilot.pause()
        assert controller.cursor == len(events) and engine.state.closed
        # read-only: writing keys are not offered, and pressing them writes nothing
        assert app.screen.check_action("run_phase", ()) is False
        assert app.screen.check_action("end_session", ()) is False
        await pilot.press("a", "c", "g", "E")
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        help_text = str(app.screen.query_one("#help-text").render())
        assert "Next decision" in help_text and "Run" not in help_text.split("Symbols")[0]
    assert path.stat().st_size == size


async def test_replay_follows_a_session_still_being_written(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    await record_session(path, close=False)
    app, controller = prepare_replay(str(path))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        before = controller.rec.count
        line = {
            "v": 1,
            "seq": before + 1,
            "ts": "2026-12-01T12:00:00.000Z",
            "type": "session.closed",
            "outcome": "launched",
            "note": "late",
        }
        with open(path, "a") as fh:  # the writer appends while we replay
            fh.write(json.dumps(line) + "\n")
        await until(pilot, lambda: controller.rec.count > before, "the appended event read")
        assert controller.rec.count == before + 1
        # a cursor at the end follows it (a fold in a worker)
        await until(pilot, lambda: controller.cursor == before + 1, "the cursor at the new end")
        assert app.engine.state.outcome == "launched"
