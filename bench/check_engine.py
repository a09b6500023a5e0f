"""Benchmark: http checks against a loopback server answering after 100 ms.

Concurrency 100, so the ideal wall time for 1,000 checks is 1,000 x 0.1 s / 100 = 1 s. At
each size (default 1,000, 5,000 and 10,000 checks), in the same run and each in a fresh
process: tminus's CheckRunner (every result recorded in a session file, with the
collector settings `tminus check` uses), and PLAIN, a
25-line aiohttp script doing the same requests and the same JSON test. Both measure wall
time, CPU time (user + system) over the same span, the event loop's worst stall (a 10 ms
ticker that records its own lateness, and the loop thread's own CPU time in that tick
beyond the 10 ms: what the stall would be on an idle machine, without preemption or GIL
waits) and memory per check (peak RSS over the RSS after
imports, divided by the checks). Then `tminus check --json` end to end at the first size.

Each pair runs --repeat times (default 3), alternating sides, and the median of each
figure is reported. On a shared machine wall time and stalls move with the load (printed
before and after); CPU time and its ratio move much less, so they are reported too.

    .venv/bin/python bench/check_engine.py [--sizes 1000,5000,10000] [--concurrency 100]
        [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SERVER = """
import asyncio, sys
from aiohttp import web
delay = float(sys.argv[1])
async def handler(_request):
    await asyncio.sleep(delay)
    return web.json_response({"status": "UP"})
async def main():
    app = web.Application()
    app.router.add_get("/slow", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    print(site._server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()
asyncio.run(main())
"""


def start_server(delay: float) -> tuple[str, subprocess.Popen[str]]:
    """The loopback server runs in its own process so it never competes for our GIL."""
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(delay)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    port = int(proc.stdout.readline())
    return f"http://127.0.0.1:{port}", proc


PLAIN = """
import asyncio, json, resource, sys, time
import aiohttp
url, n, limit = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF); return r.ru_utime + r.ru_stime
lateness, busy = [], []
async def ticker(stop):
    while not stop.is_set():
        t, c = time.perf_counter(), time.thread_time(); await asyncio.sleep(0.01)
        lateness.append(time.perf_counter() - t - 0.01); busy.append(time.thread_time() - c - 0.01)
async def check(session, gate, u):
    async with gate, session.get(u) as resp:
        return (await resp.json())["status"] == "UP"
async def main():
    stop = asyncio.Event(); tick = asyncio.create_task(ticker(stop))
    started, cpu0 = time.perf_counter(), cpu()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=limit)) as session:
        gate = asyncio.Semaphore(limit)
        ok = await asyncio.gather(*(check(session, gate, url) for _ in range(n)))
    wall, cpu_s = time.perf_counter() - started, cpu() - cpu0; stop.set(); await tick
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"wall_s": wall, "cpu_s": cpu_s, "passed": sum(ok),
                      "max_stall_ms": max(lateness) * 1000, "cpu_stall_ms": max(0, max(busy)) * 1000,
                      "kb_per_check": (peak - base) / n}))
asyncio.run(main())
"""


def plan_text(url: str, n: int, concurrency: int) -> str:
    """The items as one array of inline tables: 10,000 of them in under the 1 MiB a plan
    may be."""
    out = [
        '[launch]\nname = "Bench"\nt0 = 2026-12-04T16:00:00Z\n',
        f'[settings]\nconcurrency = {concurrency}\ncheck_timeout = "30s"\n',
        '[[phases]]\nid = "bench"\ntitle = "Bench"\nat = "0"\n[[phases.sections]]\ntitle = "HTTP"\n',
        "items = [",
    ]
    check = f'kind="http",url="{url}/slow",expect=\'body.status=="UP"\''
    out.extend(f'{{title="check {i}",check={{{check}}}}},' for i in range(n))
    out.append("]\n")
    return "\n".join(out)


async def run_engine(plan_path: Path, concurrency: int) -> dict[str, float]:
    import resource

    import aiohttp  # noqa: F401 - imported before the baseline, as PLAIN does

    from tminus.backends.factory import build_backends
    from tminus.checks.http import run_http  # noqa: F401
    from tminus.core import gc_policy
    from tminus.engine import events  # noqa: F401 - code the runner preloads: not per check
    from tminus.engine.runner import CheckRunner
    from tminus.engine.session import create_session
    from tminus.plan.loader import load_plan

    def cpu() -> float:
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    loading = time.perf_counter()
    plan = load_plan(plan_path)
    load_s = time.perf_counter() - loading
    gc_policy.for_batch()  # as `tminus check` does once its plan is loaded
    backends = build_backends(plan)
    session = create_session("bench")
    runner = CheckRunner(plan, backends, session=session, concurrency=concurrency)
    lateness: list[float] = []
    busy: list[float] = []  # the loop thread's own CPU in each tick beyond the 10 ms
    stop = asyncio.Event()

    async def ticker() -> None:
        while not stop.is_set():
            t, c = time.perf_counter(), time.thread_time()
            await asyncio.sleep(0.01)
            lateness.append(time.perf_counter() - t - 0.01)
            busy.append(time.thread_time() - c - 0.01)

    tick = asyncio.create_task(ticker())
    started, cpu0 = time.perf_counter(), cpu()
    results = await runner.run()
    wall, cpu_s = time.perf_counter() - started, cpu() - cpu0
    stop.set()
    await tick
    await backends.close()
    session.close()
    passed = sum(1 for r in results.values() if r.outcome.ok)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    n = len(results)
    return {
        "wall_s": wall,
        "cpu_s": cpu_s,
        "load_plan_s": load_s,
        "passed": passed,
        "max_stall_ms": max(lateness) * 1000,
        "p99_stall_ms": statistics.quantiles(lateness, n=100)[98] * 1000,
        "cpu_stall_ms": max(0.0, max(busy)) * 1000,
        "kb_per_check": (peak - base) / n,
    }


def side(kind: str, url: str, plan: Path, n: int, concurrency: int) -> dict[str, float]:
    """One side at one size, in a fresh process: memory figures start from the same place."""
    if kind == "plain":
        argv = [sys.executable, "-c", PLAIN, f"{url}/slow", str(n), str(concurrency)]
    else:
        argv = [
            sys.executable,
            __file__,
            "--engine-only",
            str(plan),
            "--concurrency",
            str(concurrency),
        ]
    out = subprocess.run(argv, capture_output=True, text=True, check=True)
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def median_of(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,5000,10000")
    ap.add_argument("--concurrency", type=int, default=100)
    ap.add_argument("--delay", type=float, default=0.1)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--engine-only", metavar="PLAN", help=argparse.SUPPRESS)
    args = ap.parse_args()
    os.environ.setdefault("TMINUS_HOME", tempfile.mkdtemp(prefix="tminus-bench-"))
    if args.engine_only:
        print(json.dumps(asyncio.run(run_engine(Path(args.engine_only), args.concurrency))))
        return
    url, server = start_server(args.delay)
    sizes = [int(x) for x in args.sizes.split(",")]
    print(f"machine: {platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"http checks, concurrency {args.concurrency}, server delay {args.delay}s,")
    print(f"median of {args.repeat} runs per side; {load()}")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for n in sizes:
                plan = Path(tmp) / f"bench-{n}.toml"
                plan.write_text(plan_text(url, n, args.concurrency))
                ideal = n * args.delay / args.concurrency
                runs: dict[str, list[dict[str, float]]] = {"plain": [], "tminus": []}
                for _ in range(args.repeat):
                    for kind in ("plain", "tminus"):
                        runs[kind].append(side(kind, url, plan, n, args.concurrency))
                plain, ours = median_of(runs["plain"]), median_of(runs["tminus"])
                for name, r in (("plain aiohttp", plain), ("tminus runner", ours)):
                    print(
                        f"{n:>6} {name}: wall {r['wall_s']:.2f}s ({r['wall_s'] / ideal:.2f}x ideal),"
                        f" CPU {r['cpu_s']:.2f}s, {int(r['passed'])}/{n} passed,"
                        f" worst stall {r['max_stall_ms']:.1f} ms"
                        f" ({r['cpu_stall_ms']:.1f} ms of it the loop's own CPU),"
                        f" {r['kb_per_check']:.2f} KB/check"
                    )
                stalls = ", ".join(f"{r['max_stall_ms']:.0f}" for r in runs["tminus"])
                print(
                    f"{n:>6} ratio: wall {ours['wall_s'] / plain['wall_s']:.2f}x,"
                    f" CPU {ours['cpu_s'] / plain['cpu_s']:.2f}x,"
                    f" memory {ours['kb_per_check'] / max(plain['kb_per_check'], 0.01):.2f}x;"
                    f" tminus stalls per run {stalls} ms; plan loaded in"
                    f" {ours['load_plan_s']:.2f}s (not in wall); {load()}"
                )
            n = sizes[0]
            plan = Path(tmp) / f"bench-{n}.toml"
            t = time.perf_counter()
            out = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "tminus.cli",
                    "check",
                    str(plan),
                    "--json",
                    "--concurrency",
                    str(args.concurrency),
                    "--no-record",
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            wall = time.perf_counter() - t
            summary = json.loads(out.stdout)["summary"] if out.stdout else {}
            print(
                f"tminus check --json, {n} checks: {wall:.2f}s end to end (exit {out.returncode}), {summary}"
            )
    finally:
        server.terminate()
        server.wait(5)


if __name__ == "__main__":
    main()
