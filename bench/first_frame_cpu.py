"""CPU until the first full frame, measured inside the process: steadier than wall time on
a loaded machine.

Starts `tminus demo` (once per --src, so two checkouts can be compared in one run) and the
shared reference app (`../shared/bench/reference_sparkline_app.py`) in a real pseudo-terminal
(80x24, TERM=xterm-256color), in turn, --runs times each. In each process the footer
(painted last) reports, after the first refresh that writes its keys (Textual writes
nothing inside its start-up batch: a refresh there did not count), the process's CPU time and
the wall time since the interpreter ran the harness; then the process exits. The harness
patches the footer as its module loads, so it changes neither what is imported nor when.
Bytecode is cached (as after an install) by one untimed start of each first.

With --after S, each process then stays S seconds more, while the engine starts (tminus)
or the sparklines tick (reference), and reports the worst lateness of a 5 ms sleep on its
event loop: how long a key would have waited.

    .venv/bin/python bench/first_frame_cpu.py [--runs 6] [--src DIR ...] [--after 3]
"""

from __future__ import annotations

import argparse
import os
import pty
import select
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import terminal as term

HARNESS = """
import os, sys, time
T0 = time.perf_counter()
from importlib.machinery import PathFinder

def done_with(frame, stall):
    with open({out!r}, "w") as f:
        f.write(f"{{frame}} {{stall:.3f}}\\n")
    os._exit(0)

async def heartbeat(frame):
    # the worst lateness of a 5 ms sleep on the app's loop, for --after seconds after the
    # first frame: what runs then (the engine's start, the hidden tabs) stalls keys this long
    import asyncio
    worst, last = 0.0, time.perf_counter()
    end = last + {after!r}
    while last < end:
        await asyncio.sleep(0.005)
        now = time.perf_counter()
        worst, last = max(worst, now - last - 0.005), now
    done_with(frame, worst)

def patch(Footer):
    done = []
    orig = Footer.compose
    def compose(self):
        out = list(orig(self))
        if out and not done:
            done.append(1)
            def report():
                # a paint inside Textual's start-up batch writes nothing: the frame is
                # the first paint after it
                if self.app._batch_count:
                    return self.call_after_refresh(report)
                frame = f"{{time.perf_counter() - T0:.3f}} {{time.process_time():.3f}}"
                if {after!r} <= 0:
                    return done_with(frame, 0.0)
                import asyncio
                asyncio.get_running_loop().create_task(heartbeat(frame))
            self.call_after_refresh(report)
        yield from out
    Footer.compose = compose

class PatchFooter:
    # patches the footer class as its module is loaded, where the app loads it: the
    # harness changes neither what is imported nor when
    def find_spec(self, name, path, target=None):
        if name != {module!r}:
            return None
        sys.meta_path.remove(self)
        spec = PathFinder.find_spec(name, path)
        load = spec.loader.exec_module
        def exec_module(module):
            load(module)
            patch(getattr(module, {cls!r}))
        spec.loader.exec_module = exec_module
        return spec

sys.meta_path.insert(0, PatchFooter())
{run}
"""
TMINUS = dict(
    module="tminus.ui.widgets.key_footer",
    cls="KeyFooter",
    run="from tminus.cli import main\nsys.argv = ['tminus', 'demo']\nmain()",
)
REFERENCE = dict(
    module="textual.widgets._footer",
    cls="Footer",
    run="import runpy\nsys.argv = ['ref']\nrunpy.run_path({app!r}, run_name='__main__')",
)


def _reported(out: Path) -> bool:
    """The child's line is there, whole (it may be seen created but not yet written)."""
    try:
        return out.read_text().endswith("\n")
    except OSError:
        return False


def one(
    code: str, env: dict[str, str], out: Path, limit: float = 30.0
) -> tuple[float, float, float]:
    out.unlink(missing_ok=True)
    pid, fd = pty.fork()
    if pid == 0:
        try:
            term.set_winsize(0, 80, 24)
            os.execve(sys.executable, [sys.executable, "-c", code], env)
        finally:
            os._exit(127)
    term.LIVE.add(pid)
    deadline = time.monotonic() + limit
    try:
        while time.monotonic() < deadline and not _reported(out):
            if select.select([fd], [], [], 0.05)[0]:
                try:
                    os.read(fd, 1 << 16)
                except OSError:
                    break
    finally:
        term.kill_group(pid)
        os.close(fd)
    if not _reported(out):
        return float("nan"), float("nan"), float("nan")
    wall, cpu, stall = out.read_text().split()
    return float(wall), float(cpu), float(stall)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=6)
    ap.add_argument(
        "--src",
        action="append",
        help="a tminus src/ directory to measure (repeatable; default: this checkout's)",
    )
    ap.add_argument(
        "--after",
        type=float,
        default=0.0,
        help="also measure the worst event-loop stall for this many seconds after the frame",
    )
    args = ap.parse_args(argv)
    srcs = [str(Path(s).resolve()) for s in (args.src or [str(term.ROOT / "src")])]
    home = tempfile.mkdtemp(prefix="tminus-bench-")
    pyc = tempfile.mkdtemp(prefix="tminus-bench-pyc-")
    out = Path(home) / "first-frame.txt"
    base = {k: v for k, v in os.environ.items() if not k.startswith("TEXTUAL")}
    base.pop("PYTHONDONTWRITEBYTECODE", None)
    base.update(TERM="xterm-256color", TMINUS_HOME=home, PYTHONPYCACHEPREFIX=pyc)
    base.pop("COLORTERM", None)
    cases: dict[str, tuple[str, dict[str, str]]] = {}
    for src in srcs:
        cases[f"tminus {src}"] = (
            HARNESS.format(out=str(out), after=args.after, **TMINUS),
            {**base, "PYTHONPATH": src},
        )
    ref = REFERENCE["run"].format(app=str(term.REFERENCE_APP))
    cases["reference"] = (
        HARNESS.format(
            out=str(out),
            after=args.after,
            module=REFERENCE["module"],
            cls=REFERENCE["cls"],
            run=ref,
        ),
        base,
    )
    print(term.machine())
    print(f"load average before: {os.getloadavg()[0]:.2f}", flush=True)
    for code, env in cases.values():  # untimed: fills the bytecode cache
        one(code, env, out)
    results: dict[str, list[tuple[float, float, float]]] = {name: [] for name in cases}
    for _ in range(args.runs):
        for name, (code, env) in cases.items():  # in turn, so drift hits all alike
            results[name].append(one(code, env, out))
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    stalls = f" {f'worst stall in {args.after:g} s after (median, max)':>36}" if args.after else ""
    print(f"{'':60} {'CPU s (median)':>15} {'wall s (median)':>16}{stalls}")
    medians = {}
    for name, rs in results.items():
        cpu = statistics.median(c for _, c, _ in rs)
        wall = statistics.median(w for w, _, _ in rs)
        medians[name] = cpu
        row = f"{name:60} {cpu:15.3f} {wall:16.3f}"
        if args.after:
            worst = [s for _, _, s in rs]
            row += f" {statistics.median(worst):28.3f} s, {max(worst):.3f} s"
        print(row)
    ref_cpu = medians["reference"]
    for name, cpu in medians.items():
        if name != "reference":
            print(f"CPU to the first full frame, {name} / reference: {cpu / ref_cpu:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
