"""Who, when, why in the log; ending sessions; listing, filtering and pruning them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scripted_session import MANUAL, PHASE, record_session
from test_cli import run  # the command line in a subprocess
from tminus.backends.demo import make_world
from tminus.backends.factory import build_backends
from tminus.commands.console import demo_plan
from tminus.core.paths import sessions_dir
from tminus.engine.catalog import list_sessions, prune, select
from tminus.engine.console import ConsoleEngine
from tminus.engine.metrics import moved
from tminus.engine.session import (
    SessionWriter,
    create_session,
    current_actor,
    load_events,
    os_user,
)


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def test_the_log_says_who_did_what_and_why(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    await record_session(path)
    events = load_events(path).events
    started = [e for e in events if e.type == "check.started"]
    assert started and all(e.actor == "alice" for e in started)
    # the person and, beside them, the shared OS account
    assert all(e.os_user == os_user() for e in started)
    confirmed = next(e for e in events if e.type == "item.confirmed")
    assert confirmed.data["item"] == MANUAL and confirmed.actor == "alice"
    refused = next(e for e in events if e.type == "phase.signoff_refused")
    assert refused.data["phase"] == PHASE and refused.actor == "alice"
    blockers = {b["item"] for b in refused.data["blockers"]}
    assert "all-kubernetes-clusters-healthy-across-regions" in blockers
    fired = next(e for e in events if e.type == "trigger.fired")
    assert fired.actor == "tminus" and fired.os_user is None
    closed = events[-1]
    assert closed.type == "session.closed" and closed.data["outcome"] == "rolled-back"
    assert closed.data["note"].startswith("errors at 50%") and closed.actor == "alice"


async def test_checks_nobody_asked_for_are_attributed_to_tminus(tmp_path: Path) -> None:
    plan = demo_plan("healthy", 1.0, 1)
    assert plan.backends.demo is not None
    from tminus.core.clock import FrozenClock

    clock = FrozenClock(plan.launch.t0)
    world = make_world(plan.backends.demo, plan.launch.t0, clock)
    session = SessionWriter(tmp_path / "x.jsonl", resume=False)
    engine = ConsoleEngine(plan, build_backends(plan, world=world), session=session, clock=clock)
    await engine.runner.run(["ssl-certificates-valid-30-days"])  # a scheduled run
    await engine.shutdown()
    (ev,) = [e for e in load_events(session.path).events if e.type == "check.started"]
    assert ev.actor == "tminus"


def test_as_name_and_env_name_the_person(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TMINUS_ACTOR", raising=False)
    assert current_actor() == os_user()
    monkeypatch.setenv("TMINUS_ACTOR", "bob")
    assert current_actor() == "bob"
    assert current_actor("carol") == "carol"  # --as wins


async def test_the_demo_records_the_t0_it_counts_down_to(tmp_path: Path) -> None:
    """The demo's clock starts 15 minutes before the plan's T-0 (days away in wall time):
    the log records the wall-clock instant of the console's T-0 beside the plan's."""
    plan = demo_plan("healthy", 60.0, 1)
    assert plan.backends.demo is not None
    world = make_world(plan.backends.demo, plan.launch.t0)  # the real demo's ScaledClock
    session = SessionWriter(tmp_path / "d.jsonl", resume=False)
    engine = ConsoleEngine(
        plan, build_backends(plan, world=world), session=session, clock=world.clock
    )
    before = world.clock.now()
    await engine.start(mode="demo", plan_path="<default plan>", resumed=False)
    after = world.clock.now()
    await engine.shutdown()
    # the demo also records the traffic weight it found; the start is the first event
    ev = load_events(session.path).events[0]
    assert ev.type == "session.started"
    countdown = (before - plan.launch.t0).total_seconds()  # about -900 s
    slack = (after - before).total_seconds() + 5  # launch seconds while start() ran
    recorded = (ts(ev.ts) - ts(ev.data["console_t0"])).total_seconds() * ev.data["speed"]
    assert countdown - 5 <= recorded <= countdown + slack, (recorded, countdown, slack)
    assert ev.data["t0"] == plan.launch.t0.isoformat() and ev.data["speed"] == 60.0


# ---------------------------------------------------------------- close
def test_close_refuses_a_session_another_process_holds_then_closes_it() -> None:
    w = create_session("MusicConnect")
    w.append(started_event("/p/plan.toml", "run", w.session_id))
    held = run("close", w.session_id, "--outcome", "launched")
    assert held.returncode == 2 and "open for writing" in held.stderr
    w.close(mark_closed=False)
    done = run("close", w.session_id, "--outcome", "launched", "--note", "all green", "--as", "dee")
    assert done.returncode == 0, done.stderr
    last = load_events(w.path).events[-1]
    assert last.type == "session.closed" and last.data["outcome"] == "launched"
    assert last.actor == "dee" and last.data["note"] == "all green"
    again = run("close", w.session_id, "--outcome", "aborted")
    assert again.returncode == 2 and "already closed" in again.stderr
    bad = run("close", w.session_id, "--outcome", "won")
    assert bad.returncode == 2


# ---------------------------------------------------------------- sessions
def started_event(plan: str, mode: str, session: str):  # type: ignore[no-untyped-def]
    from tminus.engine.events import SessionStarted

    return SessionStarted(
        session=session,
        mode=mode,
        plan_name="MusicConnect",
        plan_path=plan,
        launch="MusicConnect",
        t0="2026-12-04T16:00:00+00:00",
        environment="production",
        version="test",
    )


def write_session(name: str, *, started: datetime, mode: str, plan: str, closed: str = "") -> Path:
    """A session file with chosen timestamps (a real writer stamps now)."""
    base = sessions_dir()
    path = base / f"{started:%Y%m%dT%H%M%SZ}-{name}-ab{len(name):02x}.jsonl"
    lines = [
        {
            "v": 1,
            "seq": 1,
            "ts": started.isoformat(),
            "type": "session.started",
            **started_event(plan, mode, path.stem).payload(),
        },
        {
            "v": 1,
            "seq": 2,
            "ts": (started + timedelta(hours=1)).isoformat(),
            "type": "note.added",
            "text": "x",
        },
    ]
    if closed:
        lines.append(
            {
                "v": 1,
                "seq": 3,
                "ts": (started + timedelta(hours=2)).isoformat(),
                "type": "session.closed",
                "outcome": closed,
            }
        )
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return path


def test_sessions_show_outcomes_filter_and_fit_80_columns() -> None:
    now = datetime.now(UTC)
    write_session("old-demo", started=now - timedelta(days=40), mode="demo", plan="<default plan>")
    write_session(
        "launch",
        started=now - timedelta(days=2),
        mode="run",
        plan="/srv/launch/musicconnect-plan.toml",
        closed="rolled-back",
    )
    write_session(
        "current",
        started=now - timedelta(hours=1),
        mode="run",
        plan="/srv/launch/musicconnect-plan.toml",
    )
    out = run("sessions")
    lines = out.stdout.splitlines()
    assert out.returncode == 0 and len(lines) == 4
    assert max(len(line) for line in lines) <= 80
    assert any("rolled-back" in line for line in lines)
    assert any("unfinished" in line for line in lines)
    infos = list_sessions()
    assert [i.state for i in select(infos, open_only=True)] == ["unfinished", "unfinished"]
    assert len(select(infos, plan="musicconnect-plan.toml")) == 2
    assert len(select(infos, since=now - timedelta(days=3))) == 2
    since = run("sessions", "--since", "3d", "--open")
    assert since.returncode == 0 and len(since.stdout.splitlines()) == 2  # head + current
    bad = run("sessions", "--since", "yesterday-ish")
    assert bad.returncode == 2 and "--since" in bad.stderr


def test_prune_removes_old_sessions_and_never_an_open_or_resumable_one() -> None:
    now = datetime.now(UTC)
    old = now - timedelta(days=45)
    demo = write_session("demo", started=old, mode="demo", plan="<default plan>")
    done = write_session("done", started=old, mode="run", plan="/p.toml", closed="launched")
    resumable = write_session("resumable", started=old, mode="run", plan="/p.toml")
    held = write_session("held", started=old, mode="demo", plan="<default plan>")
    recent = write_session("recent", started=now, mode="demo", plan="<default plan>")
    writer = SessionWriter(held, resume=True)  # someone has it open right now
    for path in (demo, held):  # a snapshot of the fold beside the log
        path.with_suffix(".snapshot").write_text("{}")
    # a snapshot writer that crashed left its temporary file
    leftover = demo.with_name(demo.stem + ".snapshot.123-abcdef.tmp")
    leftover.write_text("{")
    try:
        dry = run("sessions", "prune", "--older-than", "30d", "--dry-run")
        assert dry.returncode == 0 and "would remove 2 sessions" in dry.stdout
        assert demo.exists() and done.exists()
        result = prune(timedelta(days=30), now=now)
        assert {Path(i.path) for i in result.removed} == {demo, done}
        assert {Path(i.path) for i in result.kept_open} == {resumable, held}
        assert not demo.exists() and not done.exists()
        assert not demo.with_suffix(".snapshot").exists() and not leftover.exists()
        assert held.with_suffix(".snapshot").exists()
        assert resumable.exists() and held.exists() and recent.exists()
    finally:
        writer.close(mark_closed=False)


def test_metric_samples_are_recorded_when_they_move() -> None:
    assert moved(None, 1.0)
    assert not moved(100.0, 100.5)  # 0.5%: not a move
    assert moved(100.0, 102.0)
    assert moved(0.0, 0.0001)  # near zero any change counts
    assert not moved(0.0, 0.0)


class ScriptedMetrics:
    """Stands in for Prometheus: answers each instant query with the next scripted value
    (the real Prometheus tests live in test_metrics_prometheus.py)."""

    def __init__(self, values: list[float]) -> None:
        self.values = list(values)

    async def query(self, promql: str, *, timeout: float):  # type: ignore[no-untyped-def]
        from tminus.backends.base import QueryResult
        from tminus.core.series import SeriesValue

        return QueryResult.of([SeriesValue((), self.values.pop(0))])

    async def query_range(self, promql: str, **kw: object):  # type: ignore[no-untyped-def]
        from tminus.backends.base import RangeResult

        return RangeResult([])


async def test_the_poller_records_a_sample_when_it_moved_or_every_ten_minutes(
    tmp_path: Path,
) -> None:
    import dataclasses

    from tminus.core.clock import FrozenClock
    from tminus.engine.metrics import MetricsPoller
    from tminus.plan.loader import default_plan

    plan = default_plan()
    plan = dataclasses.replace(plan, metrics=plan.metrics[:1], triggers=())
    # one poll a minute: 0-9 steady (one sample, then silence), 10 moves, 11-21 steady
    values = [0.5] * 10 + [0.6] + [0.6] * 11
    clock = FrozenClock(plan.launch.t0)
    session = SessionWriter(tmp_path / "m.jsonl", resume=False)
    poller = MetricsPoller(plan, ScriptedMetrics(values), clock, session=session)  # type: ignore[arg-type]
    for _ in values:
        await poller.poll_once(poller.polls[0])
        clock.advance(60)
    session.close(mark_closed=False)
    samples = [e.data["value"] for e in load_events(session.path).events]
    # first value, the move at minute 10, and the heartbeat 10 minutes after it
    assert samples == [0.5, 0.6, 0.6], samples
