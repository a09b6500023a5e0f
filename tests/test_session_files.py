"""Damaged session files are reported line by line and never stop `tminus sessions` or
`tminus run`; lock and session files are never followed through symlinks."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tminus.cli import main
from tminus.commands.console import prepare_run
from tminus.commands.sessions import short_id
from tminus.core.results import CheckResult, Outcome
from tminus.engine.events import EventSchemaError, NoteAdded, SessionStarted
from tminus.engine.session import (
    SessionError,
    SessionWriter,
    create_session,
    load_events,
    open_session,
)
from tminus.engine.state import fold
from tminus.plan.loader import load_plan

from console_factory import DATA

SMALL = DATA / "small_plan.toml"
PLAN_PATH = str(SMALL.resolve())
TS = "2026-12-01T12:00:00.000Z"
OK = CheckResult(Outcome.PASS, "ok").to_dict()


def started(session: str) -> SessionStarted:
    return SessionStarted(
        session=session,
        mode="run",
        plan_name="Small",
        plan_path=PLAN_PATH,
        launch="Small",
        t0="2026-12-01T12:00:00+00:00",
        environment="staging",
        version="0",
    )


def recorded() -> SessionWriter:
    """An unfinished session of SMALL with three good events, lock released."""
    w = create_session("small")
    w.append(started(w.session_id))
    w.append("note.added", text="before")
    w.append("check.finished", item="a", run="r", kind="http", result=OK)
    w.close(mark_closed=False)
    return w


def line(seq: int, type_: str = "note.added", **fields: object) -> bytes:
    obj = {"v": 1, "seq": seq, "ts": TS, "type": type_, **fields}
    if type_ == "note.added" and "text" not in fields:
        obj["text"] = "after"
    return json.dumps(obj).encode() + b"\n"


DEEP = b"[" * 100_000 + b"]" * 100_000 + b"\n"
DAMAGE = {
    "deeply nested JSON": DEEP,
    "seq of 1e999": b'{"v":1,"seq":1e999,"ts":"'
    + TS.encode()
    + b'","type":"note.added","text":"x"}\n',
    "an event without its item": line(4, "check.finished", run="r", kind="http", result=OK),
    "an unknown outcome": line(
        4, "check.finished", item="a", run="r", kind="http", result={"outcome": "exploded"}
    ),
    "a result that is a string": line(
        4, "check.finished", item="a", run="r", kind="http", result="pass"
    ),
    "an unknown event type": line(4, "rollout.exploded"),
    "a missing timestamp": json.dumps(
        {"v": 1, "seq": 4, "type": "note.added", "text": "x"}
    ).encode()
    + b"\n",
}


def sessions_output(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["sessions", *args])
    return code, capsys.readouterr().out


@pytest.mark.parametrize("what", list(DAMAGE))
def test_a_damaged_line_is_reported_by_number_and_skipped(what, capsys):
    w = recorded()
    with open(w.path, "ab") as fh:
        fh.write(DAMAGE[what])
        fh.write(line(5, text="after the damage"))
    loaded = load_events(w.path)
    assert [e.seq for e in loaded.events] == [1, 2, 3, 5]
    assert len(loaded.warnings) == 1 and loaded.warnings[0].startswith(f"{w.path.name}:4: ")
    fold(loaded.events)  # the fold never sees the bad line
    code, out = sessions_output(capsys)
    assert code == 0 and short_id(w.session_id) in out and "unfinished" in out
    prepared = prepare_run(load_plan(SMALL), PLAN_PATH, read_only=False, new=False)
    assert prepared.engine.session is not None and prepared.engine.session.path == w.path
    assert f"{w.path.name}:4:" in prepared.notice  # told, not hidden
    prepared.engine.session.close(mark_closed=False)
    follower = prepare_run(load_plan(SMALL), PLAN_PATH, read_only=True, new=False)
    assert follower.engine.read_only and f"{w.path.name}:4:" in follower.notice
    assert follower.engine.state.last_seq >= 5


def test_a_file_whose_first_line_is_damaged_is_named_unusable_and_hides_nothing(capsys):
    good = recorded()
    bad = create_session("small")
    bad.close(mark_closed=False)
    bad.path.write_bytes(DEEP + line(2))
    code, out = sessions_output(capsys)
    assert code == 0
    assert short_id(good.session_id) in out and "unfinished" in out
    bad_row = next(r for r in out.splitlines() if short_id(bad.session_id) in r)
    assert "unusable: line 1: JSON nested too deeply" in bad_row
    code, out = sessions_output(capsys, "--json")
    infos = {i["id"]: i for i in json.loads(out)}
    assert infos[bad.session_id]["problem"] and not infos[good.session_id]["problem"]
    # `tminus run` resumes the good one; the unusable one is never picked
    prepared = prepare_run(load_plan(SMALL), PLAN_PATH, read_only=False, new=False)
    assert prepared.engine.session is not None and prepared.engine.session.path == good.path
    prepared.engine.session.close(mark_closed=False)


def test_a_lock_file_that_is_a_directory_is_reported_not_fatal(capsys):
    w = recorded()
    w.lock_path.unlink()
    w.lock_path.mkdir()
    code, out = sessions_output(capsys)
    assert code == 0 and "unusable" in out and "not a regular file" in out
    with pytest.raises(SessionError, match="not a regular file"):
        open_session(w.path)
    # `tminus run` goes on with a new session and says why
    prepared = prepare_run(load_plan(SMALL), PLAN_PATH, read_only=False, new=False)
    assert prepared.engine.session is not None and prepared.engine.session.path != w.path
    assert f"session {w.session_id} cannot be used" in prepared.notice
    assert "not a regular file" in prepared.notice
    prepared.engine.session.close(mark_closed=False)


def test_a_newer_schema_version_is_refused_naming_the_version():
    w = recorded()
    newer = json.loads(line(4))
    newer["v"] = 7
    with open(w.path, "ab") as fh:
        fh.write(json.dumps(newer).encode() + b"\n")
    loaded = load_events(w.path)
    assert "schema version 7" in loaded.newer and "reads up to version 1" in loaded.newer
    before = w.path.read_bytes()
    with pytest.raises(SessionError, match="schema version 7"):
        open_session(w.path)
    assert w.path.read_bytes() == before  # not resumed, nothing written


@pytest.mark.parametrize(("seq", "word"), [(3, "repeats"), (2, "goes back from")])
def test_duplicate_or_backward_seq_is_reported(seq, word):
    w = recorded()
    with open(w.path, "ab") as fh:
        fh.write(line(seq, text="forged"))
    loaded = load_events(w.path)
    assert [e.seq for e in loaded.events] == [1, 2, 3]
    assert loaded.warnings == [f"{w.path.name}:4: seq {seq} {word} seq 3; event skipped"]


def test_a_complete_invalid_last_line_is_kept_only_a_line_without_newline_is_torn():
    w = recorded()
    invalid = line(4, "check.finished", run="r", kind="http", result=OK)  # no item
    with open(w.path, "ab") as fh:
        fh.write(invalid)
    resumed = open_session(w.path)
    resumed.append("session.resumed", version="0")
    resumed.close(mark_closed=False)
    raw = w.path.read_bytes()
    assert invalid in raw  # evidence is never deleted
    assert [e.seq for e in load_events(w.path).events] == [1, 2, 3, 4]
    with open(w.path, "ab") as fh:
        fh.write(b'{"v":1,"seq":5,"ts":"2026-')  # now a real torn write
    open_session(w.path).close(mark_closed=False)
    assert w.path.read_bytes() == raw  # only the torn tail was cut


def test_a_symlinked_lock_file_is_refused_and_its_target_untouched(tmp_path):
    w = recorded()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    w.lock_path.unlink()
    w.lock_path.symlink_to(victim)
    with pytest.raises(SessionError, match="symbolic link"):
        open_session(w.path)
    assert victim.read_text() == "precious"


def test_a_hard_linked_lock_file_is_refused_and_its_other_name_untouched(tmp_path):
    w = recorded()
    other = w.path.parent / "notes.txt"
    other.write_text("precious")
    w.lock_path.unlink()
    os.link(other, w.lock_path)
    with pytest.raises(SessionError, match="other hard links"):
        open_session(w.path)
    assert other.read_text() == "precious"


def test_a_symlinked_session_file_is_refused(tmp_path):
    w = recorded()
    real = tmp_path / "elsewhere.jsonl"
    real.write_bytes(w.path.read_bytes() + b'{"torn')
    before = real.read_bytes()
    w.path.unlink()
    w.path.symlink_to(real)
    with pytest.raises(SessionError, match="symbolic link"):
        open_session(w.path)
    assert real.read_bytes() == before  # not truncated through the link


def test_a_new_session_never_opens_an_existing_file(tmp_path):
    target = tmp_path / "taken.jsonl"
    target.write_text("someone else's\n")
    with pytest.raises(SessionError, match="File exists"):
        SessionWriter(target, resume=False)
    assert target.read_text() == "someone else's\n"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"text": "x", "colour": "red"}, "unknown field 'colour'"),
        ({}, "missing field 'text'"),
        ({"text": 42}, "field 'text' is a int"),
    ],
)
def test_emit_refuses_a_payload_off_the_schema_before_writing(fields, message):
    w = create_session("x")
    size = w.path.stat().st_size
    with pytest.raises(EventSchemaError, match=message):
        w.append("note.added", **fields)
    assert w.path.stat().st_size == size and w.last_seq == 0
    event = w.append(NoteAdded(text="typed", item="a"))  # an events.py object works too
    assert event.data == {"text": "typed", "item": "a"} and event.seq == 1
    w.close(mark_closed=False)
    assert os.stat(w.path).st_size > size


def test_loaded_events_are_exactly_what_was_written(tmp_path: Path):
    w = recorded()
    events = load_events(w.path).events
    assert events[0].data == started(w.session_id).payload()
    assert events[2].data["result"] == OK
