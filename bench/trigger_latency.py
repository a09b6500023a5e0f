"""Benchmark: how fast a rollback trigger fires, and what polling costs, with a real Prometheus.

Scrape 1 s, poll 1 s, `rate(...[5s])`, `for = "0s"`. The exporter switches to 10% errors;
we time from that moment until `trigger.fired` is in the session log (fsynced). Median and
max over 10 switches. Then the CPU tminus uses while polling 12 metrics every second.

Prometheus and the exporter run in a child process (this script with --serve), so the
CPU figure is tminus's alone.

    .venv/bin/python bench/trigger_latency.py [--switches 10] [--cpu-seconds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUERY = 'sum(rate(http_requests_total{code="500"}[5s])) / sum(rate(http_requests_total[5s]))'


def serve() -> None:
    """Child: exporter + Prometheus; reads error ratios from stdin, one per line."""
    sys.path.insert(0, str(ROOT / "tests"))
    from fixtures.prometheus import PrometheusServer, TestExporter, find_prometheus

    binary = find_prometheus()
    if binary is None:
        print("NO-PROMETHEUS", flush=True)
        return
    with (
        tempfile.TemporaryDirectory() as tmp,
        TestExporter() as exporter,
        PrometheusServer(Path(tmp), exporter, binary=binary) as prom,
    ):
        prom.wait_for_data("http_requests_total", timeout=30)
        print(prom.url, flush=True)
        for line in sys.stdin:
            exporter.set_error_ratio(float(line))
            print("OK", flush=True)


def plan_text(url: str, metrics: int) -> str:
    out = [
        f'[launch]\nname = "Bench"\nt0 = 2026-12-04T16:00:00Z\n'
        f'[backends.prometheus]\nurl = "{url}"\n'
        '[settings]\npoll_interval = "1s"\nsample_every = "60s"\n'
        '[[phases]]\nid = "p"\ntitle = "P"\nat = "0"\n'
        '[[phases.sections]]\ntitle = "S"\n'
        '[[phases.sections.items]]\ntitle = "x"\nmanual = true\n'
    ]
    for i in range(metrics):
        query = QUERY if i == 0 else f"sum(rate(http_requests_total[{5 + i}s]))"
        out.append(f'[[metrics]]\nid = "m{i}"\ntitle = "M{i}"\nquery = \'{query}\'\n')
    out.append(
        '[[triggers]]\nid = "errors"\ntitle = "Error rate > 5%"\nmetric = "m0"\n'
        'when = "> 5%"\nfor = "0s"\n'
    )
    return "\n".join(out)


async def measure(
    url: str, child: subprocess.Popen[str], switches: int, cpu_seconds: float
) -> None:
    from tminus.backends.factory import build_backends
    from tminus.engine.console import ConsoleEngine
    from tminus.engine.session import create_session, load_events
    from tminus.plan.loader import parse_plan

    def set_ratio(r: float) -> None:
        assert child.stdin is not None and child.stdout is not None
        child.stdin.write(f"{r}\n")
        child.stdin.flush()
        child.stdout.readline()

    plan = parse_plan(plan_text(url, 1))
    session = create_session("bench-trigger")
    engine = ConsoleEngine(plan, build_backends(plan), session=session)
    engine.attach_loop(asyncio.get_running_loop())
    await engine.start(mode="bench", plan_path="bench", resumed=False)

    async def wait(pred, timeout: float) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if pred():
                return True
            await asyncio.sleep(0.02)
        return False

    latencies = []
    for n in range(switches):
        set_ratio(0.0)
        await wait(lambda: not engine.state.firing, 30)
        await asyncio.sleep(6)  # let the 5 s window forget the last burst
        fired_before = sum(1 for e in load_events(session.path).events if e.type == "trigger.fired")
        t = time.monotonic()
        set_ratio(0.10)

        def durable(before: int = fired_before) -> bool:
            events = load_events(session.path).events
            return sum(1 for e in events if e.type == "trigger.fired") > before

        ok = await wait(durable, 30)
        lat = time.monotonic() - t
        latencies.append(lat if ok else float("inf"))
        print(f"switch {n + 1}: trigger.fired in the log after {lat:.2f}s")
    set_ratio(0.0)
    await engine.shutdown()
    finite = [x for x in latencies if x != float("inf")]
    print(
        f"detection latency: median {statistics.median(latencies):.2f}s, max {max(latencies):.2f}s,"
        f" min {min(finite) if finite else float('nan'):.2f}s over {len(latencies)} switches"
    )

    plan12 = parse_plan(plan_text(url, 12))
    session12 = create_session("bench-cpu")
    engine12 = ConsoleEngine(plan12, build_backends(plan12), session=session12)
    engine12.attach_loop(asyncio.get_running_loop())
    await engine12.start(mode="bench", plan_path="bench", resumed=False)
    await asyncio.sleep(3)  # warm up: imports, first connections
    assert engine12.poller is not None
    polls0 = engine12.poller.polls_done
    cpu0, wall0 = time.process_time(), time.monotonic()
    await asyncio.sleep(cpu_seconds)
    cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
    polls = engine12.poller.polls_done - polls0
    await engine12.shutdown()
    print(
        f"polling 12 metrics every 1s for {wall:.0f}s: {polls} polls, "
        f"CPU {cpu:.2f}s = {100 * cpu / wall:.1f}% of one core"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--switches", type=int, default=10)
    ap.add_argument("--cpu-seconds", type=float, default=30)
    ap.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve()
        return
    os.environ.setdefault("TMINUS_HOME", tempfile.mkdtemp(prefix="tminus-bench-"))
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        url = child.stdout.readline().strip()
        if not url.startswith("http"):
            sys.exit("prometheus is not installed (apt-get install prometheus)")
        print(
            f"machine: {platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}"
        )
        asyncio.run(measure(url, child, args.switches, args.cpu_seconds))
    finally:
        # end of input lets the child leave its `with` blocks, which stop Prometheus
        if child.stdin is not None:
            child.stdin.close()
        try:
            child.wait(15)
        except subprocess.TimeoutExpired:
            child.kill()


if __name__ == "__main__":
    main()
