"""Metric history comes from one engine call: the session's metric.sample events plus the
console's live polls, so the writer and a read-only follower chart the same numbers."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta
from pathlib import Path

from tminus.backends.demo import make_world
from tminus.backends.factory import build_backends
from tminus.core.clock import FrozenClock
from tminus.engine.console import ConsoleEngine
from tminus.engine.events import SessionStarted
from tminus.engine.metric_history import merged_history
from tminus.engine.session import SessionWriter, load_events
from tminus.engine.state import fold
from tminus.plan.loader import default_plan


def test_merge_keeps_the_log_between_its_first_and_last_sample():
    logged = [(10.0, 1.0), (20.0, 2.0), (30.0, 3.0)]
    live = [(5.0, 0.5), (10.001, 1.0), (15.0, 9.9), (30.002, 3.0), (35.0, 3.5), (99.0, 7.0)]
    assert merged_history(logged, live, start=0, end=40) == [
        (5.0, 0.5),  # before the session's first sample: the poller's backfill
        *logged,  # the log wins in between: 15.0 is this console's own poll, not logged
        (35.0, 3.5),  # the live edge since the last sample
    ]
    assert merged_history([], live, start=12, end=40) == live[2:5]


async def test_writer_and_follower_chart_the_same_logged_numbers(tmp_path: Path):
    plan = default_plan()
    plan = dataclasses.replace(
        plan, settings=dataclasses.replace(plan.settings, sample_every=timedelta(0))
    )
    assert plan.backends.demo is not None
    clock = FrozenClock(plan.launch.t0 - timedelta(minutes=15))
    world = make_world(plan.backends.demo, plan.launch.t0, clock)
    session = SessionWriter(tmp_path / "s.jsonl", resume=False)
    writer = ConsoleEngine(plan, build_backends(plan, world=world), session=session, clock=clock)
    writer.attach_loop(asyncio.get_running_loop())
    await session.emit(SessionStarted.for_plan(plan, session="s", mode="test", plan_path="p"))
    assert writer.poller is not None
    poll = next(p for p in writer.poller.polls if p.id == "error_rate")
    for _ in range(5):
        await writer.poller.poll_once(poll)
        clock.advance(30)
    await asyncio.sleep(0)  # let the last batch fold on this loop

    follower = ConsoleEngine(
        plan,
        build_backends(plan, world=world),
        session=None,
        state=fold(load_events(session.path).events),
        clock=clock,
        read_only=True,
    )
    assert follower.poller is not None
    await follower.poller.poll_once(poll)  # the follower's own reading, later than the log

    logged = list(fold(load_events(session.path).events).samples["error_rate"])
    assert len(logged) == 5
    mine = writer.metric_history("error_rate", 900)
    theirs = follower.metric_history("error_rate", 900)

    def inside(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
        return [p for p in points if logged[0][0] <= p[0] <= logged[-1][0]]

    assert inside(mine) == inside(theirs) == logged
    assert theirs[-1][0] > logged[-1][0]  # its live edge shows too
    assert len(mine) == 5  # the writer's live points are the logged ones, not doubled
    session.close(mark_closed=False)
    await writer.backends.close()
    await follower.backends.close()
