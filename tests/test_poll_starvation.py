"""A hung query costs the others nothing: 100 metrics, 20 of them hung, against a loopback
server (tests/fixtures/hung_prometheus.py, a fixture speaking Prometheus's query API)."""

from __future__ import annotations

import asyncio
import contextlib
import time

from tminus.backends.prometheus import PrometheusMetrics
from tminus.core.clock import SystemClock
from tminus.engine.metrics import MAX_CONCURRENT, MetricsPoller, Poll
from tminus.plan.loader import parse_plan
from tminus.plan.model import PrometheusConfig

from fixtures.hung_prometheus import HungPrometheus

PLAN = """
[launch]
name = "Starve"
t0 = 2026-12-04T16:00:00Z
[backends.demo]
[[phases]]
id = "go"
title = "Go"
at = "0"
  [[phases.sections]]
  title = "S"
    [[phases.sections.items]]
    title = "x"
    manual = true
"""


async def test_twenty_hung_queries_do_not_delay_eighty_healthy_ones():
    server = await HungPrometheus().start()
    backend = PrometheusMetrics(PrometheusConfig(url=server.url), {})
    interval = 0.5
    polls = [
        Poll(f"m{i}", f"hang_{i}" if i % 5 == 0 else f"ok_{i}", interval, record=False)
        for i in range(100)
    ]
    poller = MetricsPoller(parse_plan(PLAN), backend, SystemClock(), extra=polls)
    poller.backfill = _no_backfill  # type: ignore[method-assign]
    healthy = [p.id for p in polls if "ok_" in p.query]
    hung = [p.id for p in polls if "hang_" in p.query]
    assert poller._timeout(polls[0]) == 2.0  # a hung query holds its slot this long, at most
    try:
        poller.start()
        started = time.monotonic()
        # every healthy metric answers three times, each within its interval (plus load slack)
        deadline = started + 5
        while time.monotonic() < deadline:
            if all(len(poller.series[m].points) >= 3 for m in healthy):
                break
            await asyncio.sleep(0.05)
        took = time.monotonic() - started
        assert all(poller.series[m].state == "value" for m in healthy)
        assert all(len(poller.series[m].points) >= 3 for m in healthy), took
        assert took < 2 * interval + 1.5, f"healthy metrics starved: 3 polls took {took:.2f}s"
        assert server.hanging == len(hung)  # the hung ones were really in flight meanwhile
        assert len(hung) < MAX_CONCURRENT  # the bound leaves room for the healthy ones
        # and the hung ones end as timeouts on their own deadline, then back off
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not all(
            poller.series[m].state == "error" for m in hung
        ):
            await asyncio.sleep(0.1)
        assert all("timeout" in poller.series[m].error for m in hung)
        # healthy ones keep updating beside the hung ones' retries: two more answers each
        # (counted, not a rate over a window, which a loaded machine's latency missed)
        seen = {m: len(poller.series[m].points) for m in healthy}
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not all(
            len(poller.series[m].points) >= seen[m] + 2 for m in healthy
        ):
            await asyncio.sleep(0.05)
        behind = [m for m in healthy if len(poller.series[m].points) < seen[m] + 2]
        assert not behind, f"healthy metrics stopped updating: {behind[:5]}"
    finally:
        # Each step bounded, so a hang fails in seconds and names itself (once in CI the
        # test sat idle until the 120 s timeout somewhere in this teardown).
        for step, coro in (("poller.stop", poller.stop()), ("backend.close", backend.close())):
            try:
                await asyncio.wait_for(coro, 10)
            except TimeoutError:
                raise AssertionError(f"{step} did not finish within 10 s") from None
        # the fixture server's own graceful shutdown is not ours to judge
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(server.stop(), 10)


async def _no_backfill(poll: Poll) -> None:
    return None
