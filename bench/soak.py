"""Soak benchmark: does `tminus demo` keep its memory flat for hours of demo time?

Runs `tminus demo --scenario bad-release --speed N` in a real pseudo-terminal (80x24, the
output drained and thrown away), and beside it, in the same run, the reference app
`../shared/bench/reference_sparkline_app.py` (a plain Textual app: header, 5 tabs, six
1 Hz sparklines, footer) as the peer. Every --every seconds it reads each process tree's
resident memory (VmRSS, summed). After --warmup seconds the memory at that moment is the
baseline; the result is the growth from the baseline to the end, and the slope (MB per
real hour, by least squares over the samples after warm-up). Demo time covered is
seconds x speed: the default, 600 s at speed 60, is 10 hours of demo time.

With --tab 2 the console shows Launch Day (the metrics strip) during the soak.

    .venv/bin/python bench/soak.py [--seconds 600] [--speed 60] [--warmup 120]
        [--every 10] [--tab 2] [--no-peer]
"""

from __future__ import annotations

import argparse
import os
import select
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import contextlib

import terminal as term

ROOT = Path(__file__).resolve().parents[1]


def reference_app() -> Path | None:
    """The shared peer app: $TMINUS_REFERENCE_APP, or ../shared/bench/ beside the checkout."""
    if os.environ.get("TMINUS_REFERENCE_APP"):
        return Path(os.environ["TMINUS_REFERENCE_APP"])
    for up in (ROOT.parent, ROOT.parent.parent):
        candidate = up / "shared" / "bench" / "reference_sparkline_app.py"
        if candidate.exists():
            return candidate
    return None


def rss_mb(pid: int) -> float:
    total = 0
    for p in term.descendants(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def slope_per_hour(samples: list[tuple[float, float]]) -> float:
    if len(samples) < 2:
        return float("nan")
    n = len(samples)
    mx = sum(t for t, _ in samples) / n
    my = sum(v for _, v in samples) / n
    den = sum((t - mx) ** 2 for t, _ in samples)
    return 0.0 if den == 0 else sum((t - mx) * (v - my) for t, v in samples) / den * 3600


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--seconds", type=float, default=600.0)
    ap.add_argument("--speed", type=float, default=60.0)
    ap.add_argument("--warmup", type=float, default=120.0)
    ap.add_argument("--every", type=float, default=10.0)
    ap.add_argument("--tab", default="2")
    ap.add_argument("--no-peer", action="store_true")
    args = ap.parse_args(argv)
    if args.seconds * args.speed < 1800:
        ap.error("soak at least 30 minutes of demo time (seconds x speed >= 1800)")
    tminus = term.commands()["tminus"]
    tminus = term.Command(
        "tminus",
        [*tminus.argv, "--scenario", "bad-release", "--speed", f"{args.speed:g}"],
        tminus.texts,
    )
    runs = [tminus]
    peer = None if args.no_peer else reference_app()
    if peer is not None:
        runs.append(term.Command("reference", [sys.executable, str(peer)], ("SparkRef",)))
    home = tempfile.mkdtemp(prefix="tminus-soak-")
    procs = {}
    try:
        for cmd in runs:
            pid, fd, _ = term.spawn(cmd, 80, 24, home)
            procs[cmd.name] = (pid, fd)
        start = time.monotonic()
        sent_tab = False
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in procs}
        next_sample = start
        while (now := time.monotonic()) - start < args.seconds:
            fds = [fd for _, fd in procs.values()]
            ready, _, _ = select.select(fds, [], [], 0.2)
            for fd in ready:
                with contextlib.suppress(OSError):
                    os.read(fd, 1 << 16)
            if not sent_tab and args.tab and now - start > 5:
                os.write(procs["tminus"][1], args.tab.encode())
                sent_tab = True
            if now >= next_sample:
                for name, (pid, _) in procs.items():
                    samples[name].append((now - start, rss_mb(pid)))
                next_sample += args.every
    finally:
        for pid, fd in procs.values():
            term.kill_group(pid)
            os.close(fd)
    print(
        f"soak: {args.seconds:g} s at speed {args.speed:g} = "
        f"{args.seconds * args.speed / 3600:.1f} h of demo time; {term.machine()}; "
        f"{time.strftime('%Y-%m-%d')}"
    )
    print(f"{'':10} {'start MB':>9} {'warm MB':>8} {'end MB':>7} {'growth':>7} {'MB/h':>7}")
    for name, points in samples.items():
        after = [(t, v) for t, v in points if t >= args.warmup]
        if not after:
            print(f"{name:10} too short: no sample after the warm-up")
            continue
        warm, end = after[0][1], after[-1][1]
        print(
            f"{name:10} {points[0][1]:9.1f} {warm:8.1f} {end:7.1f} {end - warm:+7.1f}"
            f" {slope_per_hour(after):+7.1f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
