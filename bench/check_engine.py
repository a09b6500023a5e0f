"""Benchmark: 1,000 http checks against a loopback server answering after 100 ms.

Concurrency 100, so the ideal wall time is 1,000 x 0.1 s / 100 = 1 s. Also measures the
event loop's worst stall with a 10 ms ticker that records its own lateness, and the same
run end to end through `tminus check --json`.

    .venv/bin/python bench/check_engine.py [--checks 1000] [--concurrency 100] [--delay 0.1]
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


def plan_text(url: str, n: int, concurrency: int) -> str:
    out = [
        '[launch]\nname = "Bench"\nt0 = 2026-12-04T16:00:00Z\n',
        f'[settings]\nconcurrency = {concurrency}\ncheck_timeout = "30s"\n',
        '[[phases]]\nid = "bench"\ntitle = "Bench"\nat = "0"\n[[phases.sections]]\ntitle = "HTTP"\n',
    ]
    for i in range(n):
        out.append(
            f'[[phases.sections.items]]\ntitle = "check {i}"\n'
            f'check = {{ kind = "http", url = "{url}/slow", expect = \'body.status == "UP"\' }}\n'
        )
    return "\n".join(out)


async def run_engine(plan_path: Path, concurrency: int) -> dict[str, float]:
    from tminus.backends.factory import build_backends
    from tminus.engine.runner import CheckRunner
    from tminus.engine.session import create_session
    from tminus.plan.loader import load_plan

    plan = load_plan(plan_path)
    backends = build_backends(plan)
    session = create_session("bench")
    runner = CheckRunner(plan, backends, session=session, concurrency=concurrency)
    lateness: list[float] = []
    stop = asyncio.Event()

    async def ticker() -> None:
        while not stop.is_set():
            t = time.perf_counter()
            await asyncio.sleep(0.01)
            lateness.append(time.perf_counter() - t - 0.01)

    tick = asyncio.create_task(ticker())
    started = time.perf_counter()
    results = await runner.run()
    wall = time.perf_counter() - started
    stop.set()
    await tick
    await backends.close()
    session.close()
    passed = sum(1 for r in results.values() if r.outcome.ok)
    return {
        "wall_s": wall,
        "passed": passed,
        "max_stall_ms": max(lateness) * 1000,
        "p99_stall_ms": statistics.quantiles(lateness, n=100)[98] * 1000,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--checks", type=int, default=1000)
    ap.add_argument("--concurrency", type=int, default=100)
    ap.add_argument("--delay", type=float, default=0.1)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    os.environ.setdefault("TMINUS_HOME", tempfile.mkdtemp(prefix="tminus-bench-"))
    url, server = start_server(args.delay)
    ideal = args.checks * args.delay / args.concurrency
    with tempfile.TemporaryDirectory() as tmp:
        plan = Path(tmp) / "bench.toml"
        plan.write_text(plan_text(url, args.checks, args.concurrency))
        print(
            f"machine: {platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}"
        )
        print(
            f"{args.checks} http checks, concurrency {args.concurrency}, server delay {args.delay}s;"
            f" ideal {ideal:.2f}s"
        )
        for run in range(args.runs):
            r = asyncio.run(run_engine(plan, args.concurrency))
            print(
                f"engine run {run + 1}: wall {r['wall_s']:.2f}s ({r['wall_s'] / ideal:.2f}x ideal), "
                f"{int(r['passed'])}/{args.checks} passed, worst loop stall {r['max_stall_ms']:.1f} ms, "
                f"p99 {r['p99_stall_ms']:.1f} ms"
            )
        for run in range(args.runs):
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
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            wall = time.perf_counter() - t
            summary = json.loads(out.stdout)["summary"] if out.stdout else {}
            print(
                f"tminus check --json run {run + 1}: {wall:.2f}s end to end (exit {out.returncode}), "
                f"summary {summary}"
            )
    server.terminate()
    server.wait(5)


if __name__ == "__main__":
    main()
