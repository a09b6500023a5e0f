"""Snapshots of the folded state beside the log: snapshot + the lines after it folds to
exactly what the whole log folds to, at any cut; any doubt about a snapshot means a full
fold; the keeper writes them as the log grows and on close; secrets never reach them."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import stat
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scripted_session import record_session
from tminus.core.redact import forget_secrets, register_secret
from tminus.engine import snapshot as snap
from tminus.engine.events import EVENT_TYPES
from tminus.engine.log_index import LogIndex, index_lines
from tminus.engine.recording import read_recording
from tminus.engine.session import (
    LogPosition,
    ScanResult,
    SessionWriter,
    load_events,
    scan_events,
)
from tminus.engine.state import SessionState, apply, apply_sample, clone, fold_file

SECRET = "hunter2-very-secret-value"


async def recorded(path: Path) -> Path:
    """The scripted demo session (real engine on the demo world), then the event types it
    does not reach, appended through the writer (schema-checked): rollout, rollback, trigger
    holds, notifications, a resume that interrupts a running step, and the close."""
    await record_session(path, close=False)
    with open(path, "ab") as fh:
        fh.write(b"not an event\n")  # a damaged line: reported on every open, kept
    w = SessionWriter(path, resume=True)
    series = 'region="eu-west"'
    labels = {"region": "eu-west"}
    for type_, fields in [
        ("session.resumed", {"version": "0", "console_t0": "2026-12-04T16:00:00Z", "speed": 1.0}),
        ("metric.sample", {"metric": "error_rate", "value": 0.02, "labels": labels}),
        ("trigger.pending", {"trigger": "error-rate", "series": series, "labels": labels,
                             "value": 0.07, "since": 1796400000.0, "metric": "error_rate"}),
        ("trigger.pending_cleared", {"trigger": "error-rate", "series": series,
                                     "labels": labels, "value": 0.01, "reason": "stopped"}),
        ("trigger.pending", {"trigger": "error-rate", "series": series, "labels": labels,
                             "value": 0.08, "since": 1796400060.0, "metric": "error_rate"}),
        ("trigger.fired", {"trigger": "error-rate", "value": 0.08, "condition": "> 5%",
                           "held_s": 30.0, "series": series, "labels": labels,
                           "at": 1796400090.0, "metric": "error_rate"}),
        ("trigger.acknowledged", {"trigger": "error-rate", "note": "looking"}),
        ("trigger.error", {"trigger": "latency", "error": "no such field"}),
        ("notify.sent", {"channel": "ops", "kind": "webhook", "topic": "trigger",
                         "title": "fired", "attempt": 1, "receipt": "HTTP 200"}),
        ("notify.failed", {"channel": "mail", "kind": "email", "topic": "trigger",
                           "title": "fired", "attempt": 1, "error": "refused", "final": False,
                           "retry_in": 2.0}),
        ("rollout.requested", {"weight": 25, "previous": 5, "step": 1, "regions": ["eu"],
                               "override": "drill", "overridden": ["bake"]}),
        ("rollout.applied", {"weight": 25, "previous": 5, "step": 1, "regions": {"eu": 25},
                             "at": "2026-12-04T16:05:00Z", "override": "drill"}),
        ("rollout.drift", {"expected": 25, "regions": {"eu": 20}}),
        ("rollout.held", {"trigger": "error-rate", "weight": 25}),
        ("rollout.failed", {"weight": 50, "previous": 25, "regions": {"eu": None},
                            "errors": {"eu": "timeout"}, "error": "eu: timeout"}),
        ("rollback.armed", {"reason": "errors", "triggers": ["error-rate"],
                            "steps": ["maint", "route"]}),
        ("rollback.step_started", {"step": "maint", "index": 0, "title": "Maintenance"}),
        ("rollback.step_finished", {"step": "maint", "status": "done", "output": "ok",
                                    "duration_s": 1.5}),
        ("rollback.step_started", {"step": "route", "index": 1}),
        ("session.resumed", {"version": "0"}),  # the running step was interrupted
        ("rollback.step_started", {"step": "route", "index": 1}),
        ("rollback.step_finished", {"step": "route", "status": "skipped", "note": "by hand"}),
        ("rollback.completed", {"outcome": "rolled back, 1 step skipped", "skipped": ["route"],
                                "triggers_firing": []}),
        ("trigger.cleared", {"trigger": "error-rate", "series": series, "labels": labels,
                             "value": 0.001, "reason": "recovered", "metric": "error_rate"}),
        ("trigger.declared", {"trigger": "security-breach", "note": "odd"}),
        ("trigger.withdrawn", {"trigger": "security-breach", "reason": "mistake"}),
        ("criterion.confirmed", {"criterion": "support-ready", "note": "yes"}),
        ("phase.signed_off", {"phase": "pre-launch", "note": "go"}),
        ("session.taken_over", {"version": "0", "previous": "bob"}),
        ("metric.sample", {"metric": "error_rate", "value": 0.001}),
        ("rollback.armed", {"reason": "again", "triggers": [], "steps": ["maint"]}),
        ("rollback.aborted", {"reason": "not needed", "step": "maint"}),
    ]:  # fmt: skip
        w.append(type_, "carol", **fields)
    w.close(reason="done")
    return path


@pytest.fixture
async def log(tmp_path: Path) -> Path:
    folder = tmp_path / "sessions"
    folder.mkdir(mode=0o700)
    return await recorded(folder / "20261204T040000Z-musicconnect-beef.jsonl")


def line_ends(path: Path) -> list[int]:
    ends, pos = [], 0
    for raw in path.read_bytes().splitlines(keepends=True):
        pos += len(raw)
        ends.append(pos)
    return ends


def fold_until(path: Path, stop: int) -> tuple[SessionState, ScanResult]:
    state = SessionState()
    scanned = scan_events(
        path, lambda ev: apply(state, ev), lambda o: apply_sample(state, o), stop=stop
    )
    return state, scanned


def snapshot_at(path: Path, stop: int, state: SessionState | None = None) -> None:
    folded, scanned = fold_until(path, stop)
    digest = hashlib.sha256(path.read_bytes()[:stop]).hexdigest()
    chosen = state if state is not None else folded
    index = LogIndex()
    index_lines(path, index, stop, set(scanned.skipped))
    snap.write_snapshot(
        path, chosen, scanned.position, digest, scanned.warnings, scanned.skipped, index
    )


def poisoned_snapshot(path: Path, stop: int) -> None:
    """A snapshot with a correct fingerprint whose state says something the log never
    did: used when trusted, so a test can tell whether it was."""
    state, _ = fold_until(path, stop)
    state.plan_name = state.launch = "POISON"
    snapshot_at(path, stop, state)


def test_the_recorded_session_reaches_every_event_type(log: Path) -> None:
    types = {e.type for e in load_events(log).events}
    assert types == set(EVENT_TYPES)


def test_snapshot_plus_tail_folds_to_the_full_fold_at_every_cut(log: Path) -> None:
    full, full_scan = fold_file(log)
    assert len(full_scan.warnings) == 1  # the damaged line
    ends = line_ends(log)
    cuts = sorted({0, *ends[:: max(1, len(ends) // 12)], ends[-3], ends[-2], ends[-1]})
    assert len(cuts) > 10
    for cut in cuts:
        at_cut, _ = fold_until(log, cut)
        # the snapshot's JSON round trip is exact: tuples, bounded deques, enums, stamps
        assert snap.decode_state(json.loads(snap.encode_state(at_cut))) == at_cut
        snapshot_at(log, cut)
        loaded = snap.load_snapshot(log)
        assert loaded is not None and loaded.position.offset == cut
        state, scanned = snap.fold_log(log)
        assert state == full, f"cut at byte {cut}"
        assert scanned.last_seq == full.last_seq and scanned.good_bytes == ends[-1]
        assert scanned.warnings == full_scan.warnings  # damage before the cut: still told
        assert scanned.lines == full_scan.lines and scanned.count == full_scan.count
        writer, resumed = snap.resume_session(log, snapshots=False)
        writer.close(mark_closed=False)
        assert resumed == full, f"resume, cut at byte {cut}"
        assert writer.recovered == full_scan.warnings


def test_a_trusted_snapshot_is_used(log: Path) -> None:
    """The baseline of the invalidation tests: a poisoned but valid snapshot shows."""
    poisoned_snapshot(log, line_ends(log)[20])
    state, _ = snap.fold_log(log)
    assert state.plan_name == "POISON"


def test_deleting_the_snapshot_changes_nothing_but_speed(log: Path) -> None:
    snapshot_at(log, line_ends(log)[-5])
    with_snapshot, _ = snap.fold_log(log)
    snap.snapshot_path(log).unlink()
    without, _ = snap.fold_log(log)
    assert with_snapshot == without == fold_file(log)[0]


def _edit_prefix(log: Path) -> None:
    data = bytearray(log.read_bytes())
    at = data.index(b"report PT-2291 signed")
    data[at : at + 6] = b"REPORT"  # same length: only a fingerprint of the bytes sees it
    log.write_bytes(bytes(data))


def _truncate(log: Path) -> None:
    data = log.read_bytes()
    log.write_bytes(data[: line_ends(log)[10]])


def _rewrite_longer(log: Path) -> None:
    data = log.read_bytes()
    first = data.index(b"\n")
    log.write_bytes(data[:first] + b"\n" + data[first:])  # a blank line: offsets move


def _corrupt(log: Path) -> None:
    path = snap.snapshot_path(log)
    path.write_bytes(path.read_bytes()[:-50])


def _field(key: str, value: object):  # type: ignore[no-untyped-def]
    def change(log: Path) -> None:
        path = snap.snapshot_path(log)
        head, blob = path.read_bytes().split(b"\n", 1)
        obj = json.loads(head)
        obj[key] = value
        path.write_bytes(json.dumps(obj).encode() + b"\n" + blob)

    return change


def _symlink(log: Path) -> None:
    path = snap.snapshot_path(log)
    elsewhere = log.parent.parent / "elsewhere.snapshot"
    path.rename(elsewhere)
    path.symlink_to(elsewhere)


def _foreign_owner(log: Path) -> None:
    if os.getuid() != 0:
        pytest.skip("changing a file's owner needs root")
    os.chown(snap.snapshot_path(log), 12345, 12345)


def _hard_link(log: Path) -> None:
    os.link(snap.snapshot_path(log), log.parent.parent / "other-name")


def _delete(log: Path) -> None:
    snap.snapshot_path(log).unlink()


@pytest.mark.parametrize(
    ("spoil", "why"),
    [
        (_delete, "no snapshot"),
        (_corrupt, "snapshot not used"),
        (_field("version", snap.VERSION + 1), "another version"),
        (_field("layout", {"result_history": 1, "sample_history": 2}), "another version"),
        (_field("session", "20261201T000000Z-other-0000"), "another session"),
        (_field("sha256", "0" * 64), "first bytes differ"),
        (_field("offset", 17), "not at the end of a line"),
        (_edit_prefix, "first bytes differ"),
        (_truncate, "shorter"),
        (_rewrite_longer, "snapshot not used"),
        (_symlink, "symbolic link"),
        (_foreign_owner, "owned by another user"),
        (_hard_link, "hard links"),
    ],
    ids=lambda v: v if isinstance(v, str) else getattr(v, "__name__", "field"),
)
def test_any_doubt_means_a_full_fold_and_says_why(
    log: Path, spoil, why: str, caplog: pytest.LogCaptureFixture
) -> None:
    poisoned_snapshot(log, line_ends(log)[-8])
    spoil(log)
    with caplog.at_level(logging.DEBUG, logger="tminus.snapshot"):
        assert snap.load_snapshot(log) is None
        state, _ = snap.fold_log(log)
    assert state.plan_name != "POISON"
    assert state == fold_file(log)[0]
    assert any(why in r.getMessage() for r in caplog.records), caplog.text


def test_resume_corrects_a_bad_snapshot_silently(log: Path) -> None:
    poisoned_snapshot(log, line_ends(log)[-8])
    _edit_prefix(log)
    writer, state = snap.resume_session(log)
    writer.close(mark_closed=False)
    assert state.plan_name != "POISON" and state == fold_file(log)[0]
    loaded = snap.load_snapshot(log)  # written again, from the log
    assert loaded is not None and loaded.position.offset == log.stat().st_size
    assert loaded.state == state


def test_the_keeper_snapshots_as_the_log_grows_and_on_close(tmp_path: Path) -> None:
    path = tmp_path / "20261204T040000Z-k-0001.jsonl"
    writer = SessionWriter(path, resume=False)
    keeper = snap.SnapshotKeeper(
        writer, SessionState(), LogPosition(), hashlib.sha256(), written=0, every_events=5
    )
    for n in range(12):
        writer.append("note.added", "alice", text=f"note {n}")
    deadline = time.monotonic() + 10
    while keeper.written < 5 and time.monotonic() < deadline:
        time.sleep(0.02)
    loaded = snap.load_snapshot(path)
    assert loaded is not None and loaded.position.count >= 5  # written while open
    writer.append("metric.sample", value=0.5, metric="error_rate")
    writer.close(reason="done")
    loaded = snap.load_snapshot(path)
    assert loaded is not None
    assert loaded.position.offset == path.stat().st_size  # the close is in it
    assert loaded.state == fold_file(path)[0] and loaded.state.closed
    mode = stat.S_IMODE(snap.snapshot_path(path).stat().st_mode)
    assert mode == 0o600
    assert not snap.snapshot_path(path).with_name(path.stem + ".snapshot.tmp").exists()


def test_secrets_never_reach_a_snapshot(tmp_path: Path) -> None:
    """A secret learnt after its line was logged (the log is scrubbed with what was known
    then) is still kept out of the snapshot; state keyed by an id that merely names a
    secret word (the plan's `secrets-rotated` item) keeps its key and fields."""
    path = tmp_path / "20261204T040000Z-s-0001.jsonl"
    writer = SessionWriter(path, resume=False)
    writer.append("note.added", "alice", text=f"pasted {SECRET} by mistake")
    writer.append("item.confirmed", "alice", item="secrets-rotated", note="rotated")
    writer.close(mark_closed=False)
    register_secret(SECRET)
    try:
        _, scanned = fold_until(path, path.stat().st_size)
        snapshot_at(path, scanned.good_bytes)
        raw = snap.snapshot_path(path).read_bytes()
        assert SECRET.encode() not in raw and b"[redacted]" in raw
        loaded = snap.load_snapshot(path)
        assert loaded is not None
        confirmed = loaded.state.items["secrets-rotated"].confirmed
        assert confirmed is not None and confirmed.note == "rotated"
    finally:
        forget_secrets()


def test_clone_is_not_changed_by_later_folds(log: Path) -> None:
    """Replay's checkpoints and the keeper's base are clones: folding on into the original
    must leave them as they were (rollout history, rollback steps, trigger series and
    channels are changed in place by their folds)."""
    events = load_events(log).events
    for cut in range(0, len(events), 3):
        state = SessionState()
        for ev in events[:cut]:
            apply(state, ev)
        copy = clone(state)
        for ev in events[cut:]:
            apply(state, ev)
        fresh = SessionState()
        for ev in events[:cut]:
            apply(fresh, ev)
        assert copy == fresh, f"cut {cut}"


@pytest.mark.parametrize("opened", ["read whole", "from a snapshot"])
def test_replay_states_match_the_fold_at_every_cursor(log: Path, monkeypatch, opened) -> None:
    """Replay's state at a cursor is the fold of the events before it: from checkpoints
    made while reading, or (opened from a snapshot, at the end) made on the first moves."""
    from tminus.engine import log_index

    monkeypatch.setattr(log_index, "STORED_EVERY", 7)
    if opened == "from a snapshot":
        snapshot_at(log, line_ends(log)[-3])
        rec = read_recording(log, final_only=True)
        assert rec.checkpoints == []
    else:
        rec = read_recording(log)
        assert len(rec.checkpoints) > 3
    events = load_events(log).events
    assert rec.final == fold_file(log)[0]
    for cursor in [*range(rec.count, -1, -5), *range(0, rec.count + 1, 3)]:  # back, then on
        fresh = SessionState()
        for ev in events[:cursor]:
            apply(fresh, ev)
        assert rec.state_at(cursor) == fresh, f"cursor {cursor}"
    counts = [c for c, _ in rec.checkpoints]
    assert counts == sorted(set(counts)) and len(counts) > 3


def test_a_report_over_a_snapshot_is_the_report_of_the_log(log: Path) -> None:
    """`tminus report` (and attach) start from a trusted snapshot and only decode the lines
    it covers: the index, samples, decisions, incidents and warnings are the same."""
    from tminus.report.model import build_report
    from tminus.report.render import render_html

    snap.snapshot_path(log).unlink(missing_ok=True)
    plain = build_report(log)
    full = read_recording(log, final_only=True)
    assert plain.warnings and plain.timeline and plain.charts and plain.incidents
    ends = line_ends(log)
    for cut in [ends[5], ends[len(ends) // 2], ends[-4], ends[-1]]:
        snapshot_at(log, cut)
        assert snap.load_snapshot(log) is not None
        assert build_report(log) == plain, f"cut at byte {cut}"
        rec = read_recording(log, final_only=True)
        assert (rec.types, rec.times, rec.offsets) == (full.types, full.times, full.offsets)
        assert rec.samples == full.samples and rec.final == full.final
        assert rec.size == full.size and rec.lines == full.lines
    assert render_html(build_report(log)) == render_html(plain)
    poisoned_snapshot(log, ends[-4])  # trusted, so it shows: the proof it was used
    assert build_report(log).launch == "POISON" != plain.launch


def test_tminus_run_keeps_a_snapshot_and_resumes_from_it() -> None:
    """The console's own paths: a new `tminus run` session gets a keeper, quitting leaves
    a snapshot of the whole log, and the next `tminus run` resumes from it."""
    from tminus.commands.console import prepare_run
    from tminus.plan.loader import load_plan

    from console_factory import DATA

    plan_path = DATA / "small_plan.toml"
    plan = load_plan(plan_path)
    first = prepare_run(plan, str(plan_path.resolve()), read_only=False, new=True)
    writer = first.engine.session
    assert writer is not None
    from tminus.engine.events import SessionStarted

    opening = SessionStarted.for_plan(
        plan, session=writer.session_id, mode="run", plan_path=str(plan_path.resolve())
    )
    writer.append(opening, "alice")  # what engine.start writes first
    writer.append("note.added", "alice", text="before the quit")
    writer.close(mark_closed=False)  # what quitting does
    loaded = snap.load_snapshot(writer.path)
    assert loaded is not None and loaded.position.offset == writer.path.stat().st_size
    poisoned_snapshot(writer.path, loaded.position.offset)
    again = prepare_run(plan, str(plan_path.resolve()), read_only=False, new=False)
    assert again.engine.session is not None and again.engine.session.path == writer.path
    assert again.engine.state.plan_name == "POISON"  # it came from the snapshot
    again.engine.session.close(mark_closed=False)
    follower = prepare_run(plan, str(plan_path.resolve()), read_only=True, new=False)
    assert follower.engine.state.plan_name == "POISON"


@pytest.mark.parametrize("bad", ['"at":"yesterday"', '"at":"2026-13-01T00:00:00Z"'])
def test_a_sample_with_a_bad_time_is_reported_and_skipped(tmp_path: Path, bad: str) -> None:
    """The sample fast path checks times as the full check does: a bad one is a damaged
    line (reported with its number), never an exception out of resume, report or replay."""
    path = tmp_path / "20261201T120000Z-t-0001.jsonl"
    good = '{"v":1,"seq":1,"ts":"2026-12-01T12:00:00.000Z","type":"note.added","text":"x"}'
    sample = (
        '{"v":1,"seq":2,"ts":"2026-12-01T12:00:01.000Z","type":"metric.sample",'
        f'"metric":"error_rate","value":1,{bad}}}'
    )
    path.write_text(f"{good}\n{sample}\n")
    state, scanned = fold_file(path)
    assert state.last_seq == 1 and not state.samples
    assert len(scanned.warnings) == 1 and scanned.warnings[0].startswith(f"{path.name}:2: ")
    rec = read_recording(path)
    assert rec.count == 1 and len(rec.warnings) == 1


def test_a_keeper_that_cannot_write_says_so_once(tmp_path: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    """A snapshot that fails costs only speed, but it must not fail unseen: a directory
    where the snapshot goes makes every write fail for real."""
    path = tmp_path / "20261204T040000Z-w-0001.jsonl"
    snap.snapshot_path(path).mkdir()
    writer = SessionWriter(path, resume=False)
    keeper = snap.SnapshotKeeper(
        writer, SessionState(), LogPosition(), hashlib.sha256(), written=0, every_events=2
    )
    with caplog.at_level(logging.DEBUG, logger="tminus.snapshot"):
        for n in range(6):
            writer.append("note.added", "alice", text=f"note {n}")
        writer.close(reason="done")
    failures = [r for r in caplog.records if "snapshot not written" in r.getMessage()]
    assert failures, caplog.text
    assert [r.levelno for r in failures].count(logging.WARNING) == 1, caplog.text
    assert keeper.written == 0


# ---------------------------------------------------------------- the index beside the log
class CountingFile:
    """A log file that counts the lines read through it (mmap reads go by `fileno`)."""

    def __init__(self, fh, counted: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
        self._fh, self._counted = fh, counted

    def __iter__(self):  # type: ignore[no-untyped-def]
        for line in self._fh:
            self._counted["lines"] += 1
            yield line

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self._fh, name)

    def __enter__(self) -> CountingFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self._fh.close()


def count_reads(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Lines iterated and lines decoded by the recording reader, from here on."""
    from tminus.engine import recording

    counted = {"lines": 0, "decoded": 0}
    real_decode = recording.decode_line

    def decode(raw: bytes):  # type: ignore[no-untyped-def]
        counted["decoded"] += 1
        return real_decode(raw)

    monkeypatch.setattr(recording, "decode_line", decode)

    def counting_open(*args, **kwargs):  # type: ignore[no-untyped-def]
        return CountingFile(open(*args, **kwargs), counted)

    monkeypatch.setattr(recording, "open", counting_open, raising=False)
    return counted


def full_index(log: Path) -> tuple[object, ...]:
    snap.snapshot_path(log).unlink(missing_ok=True)
    rec = read_recording(log, final_only=True)
    return rec.types, rec.times, rec.offsets, rec.samples, rec.final, rec.warnings, rec.skipped


def test_a_report_over_a_snapshot_reads_only_the_lines_after_it(log: Path, monkeypatch) -> None:
    """Its cost is the snapshot plus the lines after it: the lines the snapshot covers
    are not read at all, only the decisions among them, at their offsets."""
    from tminus.report.model import DESCRIBE, build_report

    snap.snapshot_path(log).unlink(missing_ok=True)
    plain = build_report(log)
    ends = line_ends(log)
    for after in (0, 1, 6, len(ends) // 3):
        covered = len(ends) - after
        snapshot_at(log, ends[covered - 1])
        loaded = snap.load_snapshot(log)
        assert loaded is not None and loaded.position.lines == covered
        index = loaded.index()
        assert index is not None
        decisions = sum(1 for t in index.types if t in DESCRIBE)
        counted = count_reads(monkeypatch)
        assert build_report(log) == plain, f"{after} lines after the snapshot"
        assert counted["lines"] == after  # not one covered line iterated
        assert counted["decoded"] == decisions  # and only the decisions decoded
        monkeypatch.undo()


def test_the_index_in_the_snapshot_is_the_index_of_a_full_read(log: Path) -> None:
    """At many cuts, and continued by a resuming console's keeper over the lines after
    the cut: the index, samples, state, warnings and damaged lines of a read from the
    snapshot are those of a full read."""
    full = full_index(log)
    ends = line_ends(log)
    for cut in sorted({ends[0], *ends[:: max(1, len(ends) // 15)], ends[-2], ends[-1]}):
        snapshot_at(log, cut)
        rec = read_recording(log, final_only=True)
        assert rec.base is not None, f"cut {cut}"
        got = (rec.types, rec.times, rec.offsets, rec.samples, rec.final, rec.warnings)
        assert got == full[:6], f"cut {cut}"
        assert rec.skipped == full[6]
        writer, _ = snap.resume_session(log)  # its keeper indexes the rest on close
        writer.close(mark_closed=False)
        loaded = snap.load_snapshot(log)
        assert loaded is not None and loaded.position.offset == ends[-1]
        index = loaded.index()
        assert index is not None
        assert (index.types, index.times, index.offsets, index.samples) == full[:4]


def test_a_damaged_index_means_a_full_read(log: Path, monkeypatch) -> None:
    full = full_index(log)
    poisoned_snapshot(log, line_ends(log)[-3])
    path = snap.snapshot_path(log)
    data = bytearray(path.read_bytes())
    data[-3] ^= 0xFF  # a byte of the index's arrays: its SHA-256 no longer matches
    path.write_bytes(bytes(data))
    counted = count_reads(monkeypatch)
    rec = read_recording(log, final_only=True)
    assert rec.final.plan_name != "POISON" and rec.base is None
    assert (rec.types, rec.times, rec.offsets, rec.samples, rec.final) == full[:5]
    assert counted["lines"] == len(line_ends(log))


def _report_cli(log: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> str:
    from tminus.cli import main

    assert main(["report", str(log), "-o", str(out)]) == 0
    return capsys.readouterr().err


def test_report_writes_the_snapshot_when_missing_or_stale(
    log: Path, tmp_path: Path, capsys, monkeypatch
) -> None:
    """A log no console resumed is read in full once: `tminus report` leaves a snapshot
    (0600, of the whole log, with its index), and the next report reads only past it."""
    full = full_index(log)
    _report_cli(log, tmp_path / "a.md", capsys)
    loaded = snap.load_snapshot(log)
    assert loaded is not None and loaded.position.offset == log.stat().st_size
    assert loaded.state == fold_file(log)[0]
    index = loaded.index()
    assert index is not None and (index.types, index.offsets, index.samples) == (
        full[0],
        full[2],
        full[3],
    )
    assert stat.S_IMODE(snap.snapshot_path(log).stat().st_mode) == 0o600
    assert snap.stale_leftovers(log) == []
    counted = count_reads(monkeypatch)
    _report_cli(log, tmp_path / "b.md", capsys)
    assert counted["lines"] == 0
    assert (tmp_path / "a.md").read_text() == (tmp_path / "b.md").read_text()
    monkeypatch.undo()
    # stale: a snapshot far behind the log is written again
    snapshot_at(log, line_ends(log)[3])
    monkeypatch.setattr(snap, "EVERY_EVENTS", 5)
    _report_cli(log, tmp_path / "c.md", capsys)
    loaded = snap.load_snapshot(log)
    assert loaded is not None and loaded.position.offset == log.stat().st_size
    # fresh enough: left alone
    snapshot_at(log, line_ends(log)[-3])
    before = snap.snapshot_path(log).read_bytes()
    _report_cli(log, tmp_path / "d.md", capsys)
    assert snap.snapshot_path(log).read_bytes() == before


def test_a_snapshot_that_cannot_be_written_does_not_fail_the_report(
    log: Path, tmp_path: Path, capsys
) -> None:
    snap.snapshot_path(log).unlink(missing_ok=True)
    snap.snapshot_path(log).mkdir()  # every write fails for real (root ignores modes)
    err = _report_cli(log, tmp_path / "r.md", capsys)
    assert "warning:" in err and "snapshot not written" in err
    assert "Timeline" in (tmp_path / "r.md").read_text()
    assert snap.stale_leftovers(log) == []


async def snapshot_written(log: Path, timeout: float = 30.0) -> snap.Loaded:
    """Until the console's worker has written the snapshot (a deadline, not a delay)."""
    import asyncio

    deadline = time.monotonic() + timeout
    while (loaded := snap.load_snapshot(log)) is None:
        assert time.monotonic() < deadline, "the snapshot was never written"
        await asyncio.sleep(0.05)
    return loaded


@pytest.mark.parametrize("command", ["replay", "attach"])
async def test_replay_and_attach_write_the_snapshot(log: Path, command: str) -> None:
    from tminus.commands.recorded import prepare_attach, prepare_replay

    snap.snapshot_path(log).unlink(missing_ok=True)
    prepare = prepare_replay if command == "replay" else prepare_attach
    app, _ = prepare(str(log))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        loaded = await snapshot_written(log)
    assert loaded.position.offset == log.stat().st_size
    assert loaded.state == fold_file(log)[0]


async def test_a_replay_opens_before_its_snapshot_is_written(log: Path) -> None:
    """On a log without a snapshot the replay's first frame comes first; the snapshot is
    written afterwards, in a worker thread under the recording's lock. Held here, the
    lock keeps the writer waiting: the order is certain, not a race won."""
    from screen_lines import screen_lines
    from tminus.commands.recorded import prepare_replay

    snap.snapshot_path(log).unlink(missing_ok=True)
    app, controller = prepare_replay(str(log))
    assert snap.load_snapshot(log) is None  # prepared: nothing written yet
    rec = controller.rec
    rec.lock.acquire()  # this thread runs the console: its own reads pass (an RLock)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            shown = "\n".join(screen_lines(app))
            assert "REPLAY" in shown and f"event {rec.count}/{rec.count}" in shown, shown
            deadline = time.monotonic() + 30
            while not (waiting := [t for t in app.engine.background if t.get_name() == "snapshot"]):
                assert time.monotonic() < deadline, "the snapshot was never started"
                await pilot.pause(0.05)  # started once the first frame is drawn
            assert not waiting[0].done()  # started, and waiting for the lock
            assert snap.load_snapshot(log) is None
            rec.lock.release()
            loaded = await snapshot_written(log)
    finally:
        if rec.lock._is_owned():  # type: ignore[attr-defined]
            rec.lock.release()
    assert loaded.position.offset == log.stat().st_size
    assert loaded.state == fold_file(log)[0]


async def test_a_snapshot_that_cannot_be_written_is_a_warning_in_the_replay(
    log: Path, caplog
) -> None:
    from tminus.commands.recorded import prepare_replay

    snap.snapshot_path(log).unlink(missing_ok=True)
    snap.snapshot_path(log).mkdir()  # every write fails for real (root ignores modes)
    app, _ = prepare_replay(str(log))
    with caplog.at_level(logging.WARNING, logger="tminus.snapshot"):
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            for task in [t for t in app.engine.background if t.get_name() == "snapshot"]:
                await task
            await pilot.pause()
            assert app.is_running  # the console goes on
    assert any("snapshot not written" in r.getMessage() for r in caplog.records)


def test_the_status_page_starts_from_the_snapshot(log: Path, monkeypatch) -> None:
    """The live status page reads the snapshot and the lines after it; what it shows is
    what a full read shows."""
    from tminus.engine.recording import plan_of
    from tminus.web.status import StatusHub

    snap.snapshot_path(log).unlink(missing_ok=True)
    plan = plan_of(fold_file(log)[0])
    fixed = lambda: datetime(2026, 12, 4, 16, 30, tzinfo=UTC)  # noqa: E731
    plain = StatusHub(plan, log, now=fixed)
    plain._load()
    assert plain.decisions and plain.history
    snapshot_at(log, line_ends(log)[-4])
    counted = count_reads(monkeypatch)
    hub = StatusHub(plan, log, now=fixed)
    hub._load()
    assert counted["lines"] == 3  # the lines after the snapshot
    assert hub.state == plain.state and hub.body() == plain.body()
    assert list(hub.decisions) == list(plain.decisions) and hub.history == plain.history
    assert hub._offset == plain._offset == log.stat().st_size
    monkeypatch.undo()
    poisoned_snapshot(log, line_ends(log)[-4])  # trusted, so it shows
    poisoned = StatusHub(plan, log, now=fixed)
    poisoned._load()
    assert poisoned.state.plan_name == "POISON"


def test_concurrent_snapshot_writers_never_mix_or_mislead(log: Path) -> None:
    """A console's keeper and a report writing the snapshot at the same moment: every
    write succeeds, the file left is whole, and it is the fold and index of the bytes it
    says it covers (a reader never trusts a mix of two)."""
    import threading

    ends = line_ends(log)
    cuts = [ends[len(ends) // 3], ends[-1]]
    made = {}
    for cut in cuts:
        state, scanned = fold_until(log, cut)
        index = LogIndex()
        index_lines(log, index, cut, set(scanned.skipped))
        digest = hashlib.sha256(log.read_bytes()[:cut]).hexdigest()
        made[cut] = (state, scanned, index, digest)
    errors: list[BaseException] = []
    start = threading.Barrier(len(cuts))

    def write_many(cut: int) -> None:
        state, scanned, index, digest = made[cut]
        start.wait()
        try:
            for _ in range(150):
                snap.write_snapshot(
                    log, state, scanned.position, digest, scanned.warnings, scanned.skipped, index
                )
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=write_many, args=(cut,)) for cut in cuts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    loaded = snap.load_snapshot(log)
    assert loaded is not None
    state, _, index, _ = made[loaded.position.offset]
    assert loaded.state == state
    got = loaded.index()
    assert got is not None and (got.types, got.offsets, got.samples) == (
        index.types,
        index.offsets,
        index.samples,
    )
    assert snap.stale_leftovers(log) == []


def test_a_refresh_leaves_a_snapshot_that_covers_more(log: Path) -> None:
    """A report's refresh never replaces the keeper's newer snapshot with an older one."""
    ends = line_ends(log)
    snapshot_at(log, ends[5])
    rec = read_recording(log, final_only=True)  # reads past it: stale for a refresh
    snapshot_at(log, ends[-1])  # meanwhile the keeper wrote one of the whole log
    before = snap.snapshot_path(log).read_bytes()
    rec.base = None  # as if none had been trusted: it would write
    rec.size, rec.lines = ends[-2], len(ends) - 1
    del rec.types[-1:], rec.times[-1:], rec.offsets[-1:]
    assert snap.refresh_snapshot(rec) is None
    assert snap.snapshot_path(log).read_bytes() == before


@pytest.mark.parametrize("made_by", ["a report", "a resuming console's keeper"])
def test_checkpoints_in_the_snapshot_are_the_fold_and_replay_starts_from_them(
    log: Path, monkeypatch, made_by: str
) -> None:
    """The states kept in the snapshot every STORED_EVERY events are the fold of those
    events, whoever wrote them; a replay opened from it starts each cursor move from the
    nearest one (not the first event), and is exact at every cursor."""
    from tminus.engine import log_index, recording
    from tminus.engine.recording import Recording

    monkeypatch.setattr(log_index, "STORED_EVERY", 9)
    events = load_events(log).events

    def fold_first(n: int) -> SessionState:
        state = SessionState()
        for ev in events[:n]:
            apply(state, ev)
        return state

    snap.snapshot_path(log).unlink(missing_ok=True)
    monkeypatch.setattr(log_index, "COPIES_KEPT", 2)  # older ones packed while reading
    if made_by == "a report":
        first = read_recording(log, final_only=True)
        copies = [c for c, s in first.stored.items() if not isinstance(s, bytes)]
        assert len(copies) == 2 and len(first.stored) > 2  # memory in bounds
        assert snap.refresh_snapshot(first) is None
    else:
        snapshot_at(log, line_ends(log)[len(line_ends(log)) // 2])  # without checkpoints
        writer, _ = snap.resume_session(log)  # the fold of the rest makes them
        writer.close(mark_closed=False)
    loaded = snap.load_snapshot(log)
    assert loaded is not None
    index = loaded.index()
    assert index is not None
    expected = list(range(9, len(events) + 1, 9))
    if made_by != "a report":  # only the resumed part of the log has them
        expected = [c for c in expected if c > index.count // 2 + 9]
    assert set(expected) <= set(index.checkpoints)
    for count, packed in index.checkpoints.items():
        assert snap.unpack_state(packed) == fold_first(count), f"checkpoint {count}"
    rec = read_recording(log, final_only=True)
    assert rec.stored.keys() == index.checkpoints.keys()
    starts: list[int] = []
    real_fold = Recording._fold

    def fold(self, state, start, end, counts, stop=None):  # type: ignore[no-untyped-def]
        starts.append(start)
        return real_fold(self, state, start, end, counts, stop)

    monkeypatch.setattr(Recording, "_fold", fold)
    for cursor in range(rec.count, -1, -1):
        starts.clear()
        kept = [*rec.stored, *(c for c, _ in rec.checkpoints)]  # before this move's fold
        nearest = max((c for c in kept if c <= cursor), default=0)
        assert rec.state_at(cursor) == fold_first(cursor), f"cursor {cursor}"
        assert starts in ([], [nearest]), f"cursor {cursor} folded from {starts}"
    # memory stays bounded on a long replay: a few stored states unpacked at once, and a
    # copy kept in memory only where none is stored (the keeper's first half)
    assert 0 < len(rec.unpacked) <= recording.UNPACKED_KEPT
    made = [c for c, _ in rec.checkpoints]
    assert not set(made) & rec.stored.keys(), made
    assert bool(made) == (made_by != "a report"), made
