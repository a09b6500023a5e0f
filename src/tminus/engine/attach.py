"""Attach: follow a session another process writes, read-only, and say when its writer
ends (`session.closed`) or disappears (its lock released without a close)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tminus.core.clock import ScaledClock
from tminus.engine.console import ConsoleEngine
from tminus.engine.follow import read_new
from tminus.engine.recording import Recording, tminus_seconds
from tminus.engine.session import Event, holder_of, iso, now_utc
from tminus.plan.model import Plan

Status = Callable[[str], None]


def recorded_clock(rec: Recording, plan: Plan) -> ScaledClock:
    """The countdown the writer shows: its T-0 and its speed (a fast demo stays fast)."""
    secs = tminus_seconds(rec.final, iso(now_utc()))
    start = plan.launch.t0 + timedelta(seconds=secs) if secs is not None else now_utc()
    return ScaledClock(start, rec.final.speed or 1.0)


def add_sample(engine: ConsoleEngine, rec: Recording, event: Event) -> None:
    """A followed `metric.sample` goes into the chart buffers (nothing is queried)."""
    poller = engine.poller
    value = event.data.get("value")
    if poller is None or not isinstance(value, int | float):
        return
    series = poller.series.get(str(event.data.get("metric")))
    if series is None:
        return
    at = datetime.fromtimestamp(rec.launch_time(event.time.timestamp()), UTC)
    series.add(at, float(value))
    poller._notify(series.metric_id)  # the views' one notification path


async def follow_writer(
    path: Path,
    offset: int,
    engine: ConsoleEngine,
    rec: Recording,
    on_status: Status,
    interval: float = 0.5,
) -> None:
    """Poll the file (in a thread) and the lock until cancelled; never writes, never
    takes the lock (a shared flock probe is released at once)."""
    had_writer = holder_of(path) is not None
    ended = engine.state.closed
    while True:
        events, offset = await asyncio.to_thread(read_new, path, offset)
        for ev in events:
            engine.ingest(ev)
            if ev.type == "metric.sample":
                add_sample(engine, rec, ev)
            if ev.type == "session.closed" and not ended:
                ended = True
                outcome = ev.data.get("outcome") or ev.data.get("reason") or "closed"
                on_status(f"The writer ended the session ({outcome}) at {ev.ts}.")
        holder = await asyncio.to_thread(holder_of, path)
        if holder is not None and not had_writer:
            had_writer = True
            on_status(f"A writer opened the session: {holder}.")
        elif holder is None and had_writer:
            had_writer = False
            if not ended:
                on_status(
                    "The writer disappeared: its lock was released without closing the "
                    "session (it quit or crashed). Still following the file."
                )
        await asyncio.sleep(interval)
