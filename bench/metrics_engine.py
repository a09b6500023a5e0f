"""Benchmark: the engine alone polling a plan's metrics against the demo world, no UI.

Runs `ConsoleEngine` (poller, trigger watcher, session log) on the generated plan of
`bench/terminal.py --metrics N` (the default plan on the demo world with N metrics), and,
as the peer in the same run, on the default plan's own 8 metrics. After a warm-up (the
backfills), it counts the CPU seconds of this process over the window: the demo world's
PromQL evaluation, the polls, the samples recorded, the triggers judged.

    .venv/bin/python bench/metrics_engine.py [--metrics 100] [--seconds 30] [--runs 3]
        [--profile FILE]

--profile writes a cProfile of the last N-metric window to FILE (pstats format).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

WARM_UP = 10.0  # seconds: every metric's backfill (a 15-minute range query) is done by then


async def measure(plan_text: str, seconds: float, profile: str | None) -> tuple[float, int]:
    from tminus.commands.console import prepare_run
    from tminus.plan.loader import load_plan

    home = Path(os.environ["TMINUS_HOME"])
    plan_path = home / f"plan-{time.monotonic_ns()}.toml"
    plan_path.write_text(plan_text)
    prepared = prepare_run(load_plan(plan_path), str(plan_path), read_only=False, new=True)
    engine = prepared.engine
    assert engine.poller is not None and prepared.start is not None
    engine.attach_loop(asyncio.get_running_loop())
    await prepared.start()
    await asyncio.sleep(WARM_UP)
    prof = cProfile.Profile() if profile else None
    polls, cpu = engine.poller.polls_done, time.process_time()
    if prof is not None:
        prof.enable()
    await asyncio.sleep(seconds)
    if prof is not None:
        prof.disable()
        prof.dump_stats(profile)
    cpu, polls = time.process_time() - cpu, engine.poller.polls_done - polls
    await engine.shutdown()
    return cpu, polls


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--metrics", type=int, default=100)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--profile", default=None)
    args = ap.parse_args()
    os.environ["TMINUS_HOME"] = tempfile.mkdtemp(prefix="tminus-bench-engine-")
    from terminal import many_metrics_plan

    plans = {
        f"{args.metrics} metrics": many_metrics_plan(args.metrics),
        "8 metrics (peer)": many_metrics_plan(8),
    }
    print(
        f"load {os.getloadavg()[0]:.2f}; {args.runs} runs, {args.seconds:g} s after {WARM_UP:g} s"
    )
    results: dict[str, list[tuple[float, int]]] = {name: [] for name in plans}
    for run in range(args.runs):
        for name, text in plans.items():
            profile = args.profile if run == args.runs - 1 and "peer" not in name else None
            cpu, polls = asyncio.run(measure(text, args.seconds, profile))
            results[name].append((cpu, polls))
            print(f"  run {run + 1} {name}: {cpu:.2f} CPU s, {polls} polls", flush=True)
    for name, rows in results.items():
        cpus = [c for c, _ in rows]
        share = 100 * statistics.median(cpus) / args.seconds
        print(
            f"{name}: {statistics.median(cpus):.2f} CPU s ({min(cpus):.2f}-{max(cpus):.2f}),"
            f" {share:.1f}% of a core, {statistics.median(p for _, p in rows):.0f} polls"
        )
    print(f"load {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
