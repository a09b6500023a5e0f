"""Benchmark: 100 metrics polled every 0.5 s, 20 of them hung, against a loopback server.

The server (tests/fixtures/hung_prometheus.py, in its own process) answers healthy queries
at once and never answers the hung ones. Measured for the 80 healthy metrics over the run:
how many updates each got and the worst gap between two updates of one metric, for
tminus's MetricsPoller and, in the same run, for a plain aiohttp polling loop with the
same per-request deadline.

    .venv/bin/python bench/poll_starvation.py [--seconds 10] [--metrics 100] [--hung 20]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INTERVAL = 0.5
TIMEOUT = 2.0  # the poller's per-query deadline for a 0.5 s interval


def start_server() -> tuple[str, subprocess.Popen[str]]:
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "fixtures" / "hung_prometheus.py")],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    return f"http://127.0.0.1:{int(proc.stdout.readline())}", proc


def queries(n: int, hung: int) -> list[str]:
    every = max(n // hung, 1) if hung else n + 1
    return [
        f"hang_{i}" if hung and i % every == 0 and i // every < hung else f"ok_{i}"
        for i in range(n)
    ]


def summarize(updates: dict[str, list[float]], seconds: float) -> str:
    counts = [len(v) for v in updates.values()]
    gaps = [b - a for v in updates.values() for a, b in itertools.pairwise(v)]
    firsts = [v[0] for v in updates.values() if v]
    return (
        f"updates per healthy metric min {min(counts)} / mean {sum(counts) / len(counts):.1f}"
        f" (ideal {seconds / INTERVAL:.0f}), worst gap {max(gaps):.2f}s,"
        f" first update by {max(firsts):.2f}s"
    )


async def run_tminus(url: str, qs: list[str], seconds: float) -> dict[str, list[float]]:
    sys.path.insert(0, str(ROOT / "src"))
    from tminus.backends.prometheus import PrometheusMetrics
    from tminus.core.clock import SystemClock
    from tminus.engine.metrics import MetricsPoller, Poll
    from tminus.plan.loader import parse_plan
    from tminus.plan.model import PrometheusConfig

    plan = parse_plan(
        '[launch]\nname = "B"\nt0 = 2026-12-04T16:00:00Z\n[backends.demo]\n'
        '[[phases]]\nid = "g"\ntitle = "G"\nat = "0"\n[[phases.sections]]\ntitle = "S"\n'
        '[[phases.sections.items]]\ntitle = "x"\nmanual = true\n'
    )
    backend = PrometheusMetrics(PrometheusConfig(url=url), {})
    polls = [Poll(f"m{i}", q, INTERVAL, record=False) for i, q in enumerate(qs)]
    poller = MetricsPoller(plan, backend, SystemClock(), extra=polls)

    async def no_backfill(_poll: Poll) -> None:
        return None

    poller.backfill = no_backfill  # type: ignore[method-assign]
    started = time.perf_counter()
    updates: dict[str, list[float]] = {p.query: [] for p in polls if p.query.startswith("ok_")}
    by_id = {p.id: p.query for p in polls}

    def seen(metric_id: str) -> None:
        q = by_id[metric_id]
        if q in updates and poller.series[metric_id].state == "value":
            updates[q].append(time.perf_counter() - started)

    poller.subscribe(seen)
    poller.start()
    await asyncio.sleep(seconds)
    await poller.stop()
    await backend.close()
    return updates


async def run_plain(url: str, qs: list[str], seconds: float) -> dict[str, list[float]]:
    import aiohttp

    started = time.perf_counter()
    updates: dict[str, list[float]] = {q: [] for q in qs if q.startswith("ok_")}

    async def poll(session: aiohttp.ClientSession, q: str, note: Callable[[float], None]) -> None:
        while True:
            try:
                async with session.get(
                    f"{url}/api/v1/query",
                    params={"query": q},
                    timeout=aiohttp.ClientTimeout(total=TIMEOUT),
                ) as resp:
                    body = await resp.json()
                    float(body["data"]["result"][0]["value"][1])
                    note(time.perf_counter() - started)
            except (TimeoutError, aiohttp.ClientError):
                pass
            await asyncio.sleep(INTERVAL)

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100)) as session:
        tasks = [
            asyncio.create_task(
                poll(session, q, updates[q].append if q in updates else lambda t: None)
            )
            for q in qs
        ]
        await asyncio.sleep(seconds)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return updates


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--metrics", type=int, default=100)
    ap.add_argument("--hung", type=int, default=20)
    args = ap.parse_args()
    url, server = start_server()
    qs = queries(args.metrics, args.hung)
    try:
        print(
            f"machine: {platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}"
        )
        print(
            f"{args.metrics} metrics every {INTERVAL}s, {sum(q.startswith('hang') for q in qs)} hung,"
            f" {args.seconds:g}s"
        )
        ours = asyncio.run(run_tminus(url, qs, args.seconds))
        print("tminus MetricsPoller: " + summarize(ours, args.seconds))
        plain = asyncio.run(run_plain(url, qs, args.seconds))
        print("plain aiohttp loop:   " + summarize(plain, args.seconds))
    finally:
        server.terminate()
        server.wait(5)


if __name__ == "__main__":
    main()
