import json
import os
import random
import signal
import stat
import subprocess
import sys
import textwrap
import time

import pytest

from tminus.core.redact import REDACTED, register_secret
from tminus.core.results import CheckResult, Outcome, Part
from tminus.engine.events import SessionStarted
from tminus.engine.session import (
    SessionError,
    SessionLocked,
    create_session,
    load_events,
    open_session,
)
from tminus.engine.state import fold


def started(**fields: str) -> SessionStarted:
    base = dict(
        session="s",
        mode="run",
        plan_name="p",
        plan_path="/p/plan.toml",
        launch="MusicConnect",
        t0="2026-12-01T12:00:00+00:00",
        environment="production",
        version="0",
    )
    return SessionStarted(**{**base, **fields})


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("TMINUS_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_events_are_numbered_timestamped_and_private(home):
    w = create_session("MusicConnect")
    w.append(started(plan_name="MusicConnect"), actor="ann@host")
    w.append("note.added", actor="ann@host", text="go team")
    w.close(reason="done")
    events = load_events(w.path).events
    assert [e.seq for e in events] == [1, 2, 3]
    assert [e.type for e in events] == ["session.started", "note.added", "session.closed"]
    first = json.loads(w.path.read_text().splitlines()[0])
    assert first["v"] == 1 and first["ts"].endswith("Z") and first["actor"] == "ann@host"
    assert stat.S_IMODE(w.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(w.path.parent.stat().st_mode) == 0o700
    assert w.path.parent == home / "sessions"


def test_unknown_event_type_is_refused(home):
    with create_session("x") as w, pytest.raises(ValueError, match="unknown event type"):
        w.append("check.exploded")


def test_second_writer_is_refused_naming_the_holder(home):
    w = create_session("x")
    code = textwrap.dedent(
        f"""
        from pathlib import Path
        from tminus.engine.session import open_session, SessionLocked
        try:
            open_session(Path({str(w.path)!r}))
        except SessionLocked as exc:
            print(exc)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "is open for writing by" in out.stdout and f"pid {os.getpid()}" in out.stdout
    with pytest.raises(SessionLocked):
        open_session(w.path)
    w.close()
    open_session(w.path).close()  # free again once released


def test_secrets_are_never_written(home, monkeypatch):
    register_secret("s3cr3t-token-value")
    with create_session("x") as w:
        values = {
            "headers": {"Authorization": "Bearer abc", "Accept": "json"},
            "password": "hunter22",
        }
        result = {"message": "401 for Bearer s3cr3t-token-value", "values": values}
        w.append("check.finished", item="a", run="r", kind="http", result=result)
    text = w.path.read_text()
    assert "s3cr3t-token-value" not in text and "hunter22" not in text and "Bearer abc" not in text
    assert REDACTED in text and '"Accept":"json"' in text


def test_torn_last_line_is_reported_and_cut_on_resume(home):
    w = create_session("x")
    w.append(started())
    w.append("note.added", text="one")
    w.close(mark_closed=False)
    with open(w.path, "ab") as fh:
        fh.write(b'{"v":1,"seq":3,"ts":"2026-')  # a crash mid-write
    loaded = load_events(w.path)
    assert [e.seq for e in loaded.events] == [1, 2]
    assert any("torn last line" in m for m in loaded.warnings)
    w2 = open_session(w.path)
    assert w2.recovered and w2.last_seq == 2
    w2.append("session.resumed", version="0")
    w2.close()
    assert [e.seq for e in load_events(w.path).events] == [1, 2, 3, 4]
    assert load_events(w.path).warnings == []


def test_missing_session_file_is_a_clear_error(tmp_path):
    with pytest.raises(SessionError, match="no such session file"):
        load_events(tmp_path / "nope.jsonl")


async def test_emit_is_durable_when_it_returns_and_groups_fsyncs(home):
    import asyncio

    w = create_session("x")
    events = await asyncio.gather(*(w.emit("note.added", text=str(i)) for i in range(200)))
    assert sorted(e.seq for e in events) == list(range(1, 201))
    on_disk = load_events(w.path).events
    assert [e.seq for e in on_disk] == list(range(1, 201))  # file order == seq order
    w.close()


def test_fold_rebuilds_state(home):
    w = create_session("x")
    ok = CheckResult(Outcome.PASS, "ok", value=42, parts=(Part("us", Outcome.PASS),))
    w.append(started())
    w.append("check.started", item="certs", run="r1", kind="tls")
    w.append("check.finished", item="certs", run="r1", kind="tls", result=ok.to_dict())
    w.append("item.confirmed", actor="a@h", item="backups", note="restored fine")
    w.append("phase.signed_off", actor="a@h", phase="pre", note="go")
    fired = {"metric": "err", "condition": "value > 0.05", "held_s": 30.0}
    w.append("trigger.fired", trigger="errors", value=0.07, **fired)
    w.append("metric.sample", metric="err", value=0.07)
    w.close()
    state = fold(load_events(w.path).events)
    assert state.launch == "MusicConnect" and state.closed
    assert state.items["certs"].last == ok and not state.items["certs"].running
    assert state.items["backups"].confirmed is not None
    assert state.items["backups"].confirmed.note == "restored fine"
    assert state.signoffs["pre"].actor == "a@h"
    assert [t.id for t in state.firing] == ["errors"]
    assert state.metrics["err"][1] == 0.07 and len(state.samples["err"]) == 1


CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from tminus.engine.session import SessionWriter
    path = Path(sys.argv[1])
    w = SessionWriter(path, resume=path.exists())
    while True:
        ev = w.append("note.added", text="x" * 200)
        sys.stdout.write(f"{ev.seq}\\n")
        sys.stdout.flush()
    """
)


def test_sigkill_at_random_moments_never_loses_a_reported_event(tmp_path):
    """Every event the writer reported as written survives a SIGKILL, and the file loads."""
    path = tmp_path / "crash.jsonl"
    rng = random.Random(1234)
    reported: set[int] = set()
    for _ in range(25):
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(path)], stdout=subprocess.PIPE, text=True
        )
        assert child.stdout is not None
        # kill while it writes, not while it starts up: on a loaded machine start-up alone
        # can outlast a fixed delay, and then nothing would be tested
        reported.add(int(child.stdout.readline()))
        time.sleep(rng.uniform(0.0, 0.25))
        os.kill(child.pid, signal.SIGKILL)
        out, _ = child.communicate(timeout=10)
        reported.update(int(x) for x in out.split())
        loaded = load_events(path)  # never raises, whatever the cut
        on_disk = {e.seq for e in loaded.events}
        missing = reported - on_disk
        assert not missing, f"reported but lost: {sorted(missing)[:5]}"
        seqs = [e.seq for e in loaded.events]
        assert seqs == list(range(1, len(seqs) + 1))  # resume continues the numbering
    assert len(reported) > 25
