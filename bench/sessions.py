"""Benchmark: a week-long console's session log stays fast to list, open, replay, report.

Input: a synthetic 24-hour session of about 100,000 events on the default plan, with a
realistic mix (metric samples, periodic check runs with full results, confirmations,
sign-offs and refusals, notes, triggers fired and cleared, a close). Each measurement
runs in its own child process so its peak RSS is its own. Peers measured in the same run
on the same file: a bare `json.loads` of every line (the floor for any reader of this
format) and `jq -c .` when installed.

Opening is measured twice: with no snapshot beside the log (the whole log is checked and
folded), and with the snapshot a console leaves when it quits (written here by the
resume measurement's close). Wall and CPU time are both shown: on a shared machine CPU
time moves much less with the load than wall time does.

Also: how many bytes a typical live console writes per hour (the real MetricsPoller on
the demo world, 8 metrics polled every 5 s, the sample policy as shipped), against the
earlier policy of one sample per metric per minute.

    .venv/bin/python bench/sessions.py [--events 100000] [--keep FILE] [--only a,b]
                                       [--no-live]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def synthesize(path: Path, events: int, seed: int = 1) -> None:
    """A 24-hour session log with the mix a live console writes."""
    sys.path.insert(0, str(ROOT / "src"))
    from tminus.plan.loader import default_plan

    plan = default_plan()
    rng = random.Random(seed)
    items = [i for _, _, i in plan.items() if i.check is not None]
    manual = [i for _, _, i in plan.items() if i.manual]
    metrics = [m.id for m in plan.metrics]
    start = datetime(2026, 12, 4, 4, 0, tzinfo=UTC)
    t0 = start + timedelta(hours=12)
    step = 86400 / events
    values = {m: 0.5 for m in metrics}
    seq = 0

    def line(at: datetime, type_: str, actor: str | None = None, **data: object) -> str:
        nonlocal seq
        seq += 1
        obj: dict[str, object] = {
            "v": 1,
            "seq": seq,
            "ts": at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "type": type_,
        }
        if actor:
            obj["actor"] = actor
        obj.update(data)
        return json.dumps(obj, separators=(",", ":"))

    from tminus.engine.events import SessionStarted

    opening = SessionStarted.for_plan(
        plan, session=path.stem, mode="run", plan_path="<default plan>"
    ).payload()
    opening.update(console_t0=t0.isoformat().replace("+00:00", "Z"), speed=1.0)
    out = [line(start, "session.started", "alice", **opening)]
    decisions = [
        ("item.confirmed", lambda: {"item": rng.choice(manual).id, "note": "checked by hand"}),
        (
            "phase.signoff_refused",
            lambda: {
                "phase": "pre-launch",
                "blockers": [{"item": items[0].id, "reason": "fail: 2/3 regions healthy"}],
            },
        ),
        ("note.added", lambda: {"text": "watching the canary"}),
        (
            "trigger.fired",
            lambda: {
                "trigger": "error-rate",
                "metric": "error_rate",
                "value": 0.061,
                "condition": "> 5%",
                "held_s": 30.0,
            },
        ),
        (
            "trigger.cleared",
            lambda: {"trigger": "error-rate", "metric": "error_rate", "value": 0.01},
        ),
    ]
    run = 0
    while seq < events - 2:
        at = start + timedelta(seconds=seq * step)
        r = rng.random()
        if r < 0.75:
            m = rng.choice(metrics)
            values[m] = max(0.0, values[m] + rng.gauss(0, 0.02))
            out.append(line(at, "metric.sample", metric=m, value=round(values[m], 6)))
        elif r < 0.99:
            item = rng.choice(items)
            run += 1
            out.append(
                line(
                    at,
                    "check.started",
                    "tminus",
                    item=item.id,
                    run=f"{run:08x}",
                    kind=item.check.kind if item.check else "",
                    phase="pre-launch",
                )
            )
            outcome = "pass" if rng.random() < 0.93 else "fail"
            result = {
                "outcome": outcome,
                "message": "" if outcome == "pass" else "2/3 healthy",
                "value": rng.randint(1, 90),
                "values": {"days_left": 57, "status": 200},
                "parts": [
                    {"name": r, "outcome": outcome, "message": "", "value": None}
                    for r in ("prod-us-east", "prod-eu-west", "prod-ap-south")
                ],
                "duration_ms": round(rng.uniform(5, 900), 1),
                "attempts": 1,
                "output": "",
            }
            out.append(
                line(
                    at,
                    "check.finished",
                    item=item.id,
                    run=f"{run:08x}",
                    kind=item.check.kind if item.check else "",
                    result=result,
                )
            )
        else:
            type_, data = rng.choice(decisions)
            out.append(line(at, type_, rng.choice(["alice", "bob", "carol"]), **data()))
    out.append(
        line(
            start + timedelta(hours=24),
            "session.closed",
            "alice",
            outcome="launched",
            note="all green",
            reason="ended",
        )
    )
    path.write_text("\n".join(out) + "\n")


CHILD = {
    "json": "peer: json.loads of every line",
    # no snapshot beside the log (removed first): the whole log is checked and folded
    "resume": "resume, no snapshot: open for writing + fold",
    "report-md": "report md, no snapshot (read + build + render)",
    "report-html": "report html, no snapshot",
    # the second report of a log no console resumed: the first one wrote the snapshot
    "report-md-again": "report md, again (the snapshot the first report left)",
    # the snapshot the resume above left at close (as every console session does)
    "resume-snap": "resume, with snapshot: load + check + fold the rest",
    "report-md-snap": "report md, with snapshot",
    "report-html-snap": "report html, with snapshot",
    "replay-snap": "replay open, with snapshot (at the end, as `replay`)",
    "status-snap": "status page start, with snapshot",
    "cursor": "replay: a cursor move (mean of 20 random)",
    "cursor-keys": "replay console: a burst of 20 `.` keys, until shown",
    "replay": "replay open, no snapshot (every checkpoint)",
    "list": "tminus sessions: list 50 sessions",
}
NO_SNAPSHOT = {"resume", "report-md", "report-html", "replay", "report-md-again"}


def child(mode: str, path: Path) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    cpu = time.process_time()
    start = time.perf_counter()
    extra: dict[str, object] = {}
    if mode == "json":
        with open(path, "rb") as fh:
            n = sum(1 for line in fh if json.loads(line))
        extra["events"] = n
    elif mode.startswith("resume"):
        from tminus.engine.snapshot import resume_session

        # as `tminus run` resumes (commands/console.prepare_run); the keeper's snapshot at
        # close is not part of opening: timed apart
        writer, state = resume_session(path)
        extra["events"] = state.last_seq
        opened, opened_cpu = time.perf_counter() - start, time.process_time() - cpu
        t = time.perf_counter()
        writer.close(mark_closed=False)
        extra["close_s"] = time.perf_counter() - t
        print(json.dumps({"seconds": opened, "cpu": opened_cpu, "rss_mb": _rss(), **extra}))
        return
    elif mode == "replay":
        from tminus.engine.recording import read_recording

        rec = read_recording(path)  # every checkpoint made while reading
        extra["events"] = rec.count
    elif mode == "replay-snap":
        from tminus.engine.recording import read_recording
        from tminus.engine.snapshot import refresh_snapshot

        rec = read_recording(path, final_only=True)  # as commands/recorded.prepare_replay
        refresh_snapshot(rec)  # nothing to do when the snapshot is fresh
        rec.state_at(rec.count)
        extra["events"] = rec.count
    elif mode == "status-snap":
        from tminus.engine.recording import plan_of
        from tminus.engine.snapshot import load_snapshot
        from tminus.web.status import StatusHub

        loaded = load_snapshot(path)
        assert loaded is not None
        plan = plan_of(loaded.state)
        start, cpu = time.perf_counter(), time.process_time()  # the hub's own start
        hub = StatusHub(plan, path)
        hub._load()
        hub.body()
        extra["events"] = hub.state.last_seq
    elif mode == "cursor":
        from tminus.engine.recording import read_recording

        rec = read_recording(path, final_only=True)
        rng = random.Random(2)
        start, cpu = time.perf_counter(), time.process_time()
        first = 0.0
        for _ in range(20):
            rec.state_at(rng.randrange(rec.count))
            first = first or time.perf_counter() - start
        elapsed = (time.perf_counter() - start) / 20
        used = (time.process_time() - cpu) / 20
        print(json.dumps({"seconds": elapsed, "cpu": used, "rss_mb": _rss(), "first_s": first}))
        return
    elif mode == "cursor-keys":
        print(json.dumps(cursor_keys(path)))
        return
    elif mode.startswith("report-"):
        from tminus.engine.snapshot import refresh_snapshot
        from tminus.report.model import read_for_report, report_from
        from tminus.report.render import RENDERERS

        # as `tminus report` (commands/report.py): the report, then the snapshot written
        # when it was missing or stale (after the output: timed apart)
        extra["snapshot"] = path.with_suffix(".snapshot").exists()
        rec, decisions = read_for_report(path)
        text = RENDERERS[mode.split("-")[1]](report_from(rec, decisions))
        extra["bytes"] = len(text.encode())
        elapsed, used = time.perf_counter() - start, time.process_time() - cpu
        t = time.perf_counter()
        if refresh_snapshot(rec) is not None:
            raise SystemExit("snapshot not written")
        extra["write_s"] = time.perf_counter() - t
        print(json.dumps({"seconds": elapsed, "cpu": used, "rss_mb": _rss(), **extra}))
        return
    elif mode == "none":
        pass
    elif mode == "list":
        from tminus.engine.catalog import list_sessions

        extra["sessions"] = len(list_sessions(path.parent))
    elapsed, used = time.perf_counter() - start, time.process_time() - cpu
    print(json.dumps({"seconds": elapsed, "cpu": used, "rss_mb": _rss(), **extra}))


def cursor_keys(path: Path) -> dict[str, float]:
    """The replay console, headless: 20 `.` keys sent at once (as a terminal delivers a
    burst) from deep in a stretch between stored states, timed until the last one's state
    is shown, with the folds computed; the peer in the same run is the same 20 moves made
    one by one on the UI thread (how every key was handled before moves had a worker).
    Then `,` and `?` at once: how long the help screen took while the move folded."""
    import asyncio

    from textual import events

    from tminus.commands.recorded import prepare_replay
    from tminus.engine.log_index import STORED_EVERY
    from tminus.ui.screens.help import HelpScreen

    app, controller = prepare_replay(str(path))
    count = controller.rec.count
    start = (count // STORED_EVERY) * STORED_EVERY - 50  # 9,950 events from a state
    out: dict[str, float] = {}

    def send(*keys: str) -> None:
        for key in keys:
            event = events.Key(key, None)
            event.set_sender(app)
            app._driver.send_message(event)  # type: ignore[union-attr]

    async def until(condition: Callable[[], bool]) -> float:
        t = time.perf_counter()
        while not condition():
            await asyncio.sleep(0.02)  # finer polling would take the GIL from the fold
        return time.perf_counter() - t

    async def run() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            t = time.perf_counter()
            for k in range(1, 21):
                controller.move_to(start + k)
            out["serial_s"] = time.perf_counter() - t
            controller.move_to(start)
            await pilot.pause()
            folds, cpu, t = controller.computed, time.process_time(), time.perf_counter()
            send(*["full_stop"] * 20)
            await until(lambda: controller.cursor == start + 20)
            out["seconds"] = time.perf_counter() - t
            out["cpu"] = time.process_time() - cpu
            out["folds"] = controller.computed - folds
            controller.move_to(start)
            await pilot.pause()
            t = time.perf_counter()
            send("comma", "question_mark")
            out["help_s"] = await until(lambda: isinstance(app.screen, HelpScreen))
            out["help_before_move"] = float(controller.cursor == start)
            await until(lambda: controller.cursor == start - 1)
            out["move_s"] = time.perf_counter() - t

    asyncio.run(run())
    return {**out, "rss_mb": _rss()}


def _rss() -> float:
    """Peak RSS of this process in MB (VmHWM: ru_maxrss would carry the parent's peak
    across fork and exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def baseline_rss() -> float:
    out = subprocess.run(
        [sys.executable, __file__, "--child", "none", "/dev/null"],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(json.loads(out.stdout)["rss_mb"])


def measure(mode: str, path: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def live_bytes_per_hour() -> tuple[int, int, int]:
    """(bytes, samples) per simulated hour as shipped, and samples under one-a-minute."""
    import asyncio

    sys.path.insert(0, str(ROOT / "src"))
    from tminus.backends.demo import make_world
    from tminus.backends.factory import build_backends
    from tminus.core.clock import FrozenClock
    from tminus.engine.metrics import MetricsPoller
    from tminus.engine.session import SessionWriter
    from tminus.plan.loader import default_plan

    plan = default_plan()
    assert plan.backends.demo is not None
    clock = FrozenClock(plan.launch.t0 - timedelta(hours=2))
    world = make_world(plan.backends.demo, plan.launch.t0, clock)
    backends = build_backends(plan, world=world)
    assert backends.metrics is not None
    with tempfile.TemporaryDirectory() as tmp:
        session = SessionWriter(Path(tmp) / "live.jsonl", resume=False)
        poller = MetricsPoller(plan, backends.metrics, clock, session=session, interval=5.0)

        async def hour() -> None:
            for _ in range(720):  # 5 s polls for an hour
                clock.advance(5)
                for poll in poller.polls:
                    await poller.poll_once(poll)

        asyncio.run(hour())
        session.close(mark_closed=False)
        size = session.path.stat().st_size
        lines = session.path.read_bytes().count(b"\n")
    return size, lines, len(poller.polls) * 60


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument(
        "--keep", type=Path, help="write the synthetic session here (reused when it exists)"
    )
    ap.add_argument("--only", help="comma-separated measurements to run (" + ",".join(CHILD) + ")")
    ap.add_argument("--no-live", action="store_true", help="skip the bytes-per-hour run")
    ap.add_argument("--child", nargs=2, metavar=("MODE", "FILE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "20261204T040000Z-musicconnect-0000.jsonl"
        t = time.perf_counter()
        if not (args.keep and args.keep.exists()):
            synthesize(path, args.events)
        size = path.stat().st_size
        print(
            f"{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"{datetime.now(UTC):%Y-%m-%d}"
        )
        print(
            f"synthetic session: {args.events:,} events, {size / 1e6:.1f} MB "
            f"({time.perf_counter() - t:.1f} s to write)"
        )
        listing = Path(tmp) / "listing"
        listing.mkdir()
        for n in range(50):
            (listing / f"20261204T0400{n:02d}Z-x-{n:04x}.jsonl").symlink_to(path)
        print(f"interpreter alone: {baseline_rss():.0f} MB peak RSS")
        print(f"load average before: {os.getloadavg()[0]:.2f}")
        print(f"{'what':<56} {'wall':>7} {'CPU':>7} {'peak RSS':>9}")
        chosen = args.only.split(",") if args.only else list(CHILD)
        for mode, label in CHILD.items():
            if mode not in chosen:
                continue
            target = listing / "20261204T040000Z-x-0000.jsonl" if mode == "list" else path
            if mode in NO_SNAPSHOT:
                path.with_suffix(".snapshot").unlink(missing_ok=True)
            first = None
            if mode == "report-md-again":
                first = measure("report-md", path)  # the first report writes the snapshot
            elif mode.endswith("-snap") and not path.with_suffix(".snapshot").exists():
                measure("resume", path)  # a console leaves one when it closes
            r = measure(mode, target)
            note = f"  (first move {r['first_s']:.2f}s)" if "first_s" in r else ""
            if mode == "cursor-keys":
                note = (
                    f"  ({r['folds']:.0f} folds; peer, the 20 moves one by one on the UI "
                    f"thread: {r['serial_s']:.2f}s; `?` during a {r['move_s']:.2f}s move "
                    f"opened help in {r['help_s']:.2f}s"
                    + (", before the move ended)" if r["help_before_move"] else ")")
                )
            if "write_s" in r and not r.get("snapshot"):
                note = f"  (then writes the snapshot: {r['write_s']:.2f}s)"
            if first is not None:
                note = (
                    f"  (the first: {first['seconds']:.2f}s wall, {first['cpu']:.2f}s CPU, "
                    f"{first['rss_mb']:.0f} MB, then {first['write_s']:.2f}s to write it)"
                )
            row = f"{r['seconds']:>6.2f}s {r['cpu']:>6.2f}s {r['rss_mb']:>6.0f} MB"
            print(f"{label:<56} {row}{note}")
        print(f"load average after: {os.getloadavg()[0]:.2f}")
        jq = shutil.which("jq")
        if jq:
            t = time.perf_counter()
            subprocess.run([jq, "-c", ".", str(path)], stdout=subprocess.DEVNULL, check=True)
            print(
                f"{'peer: jq -c . (every event parsed and printed)':<52} "
                f"{time.perf_counter() - t:>7.2f}s"
            )
    if args.no_live:
        return
    size, lines, old = live_bytes_per_hour()
    print(
        f"live console, 8 metrics polled every 5 s for an hour: {lines} samples, "
        f"{size / 1024:.1f} KB/hour (one a minute per metric would be {old} samples, "
        f"about {old * size / max(lines, 1) / 1024:.0f} KB/hour)"
    )


if __name__ == "__main__":
    main()
