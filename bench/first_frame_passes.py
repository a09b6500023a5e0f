"""What the app does between `App.run` and the first full frame: how many times the
stylesheet is applied, how many layouts and paints of the screen run, and their CPU.

Starts `tminus demo` (once per --src) as `first_frame_cpu.py` does, in an 80x24 pty, with
Textual's `Stylesheet.apply`, `Screen._refresh_layout` and `Compositor.render_update`
wrapped to count calls and their `process_time`, until the footer (painted last) shows
keys. The counts are steadier than the CPU on a loaded machine: a pass removed shows as a
smaller count whatever the load. The wrapping costs some CPU of its own.

    .venv/bin/python bench/first_frame_passes.py [--runs 3] [--src DIR ...]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import first_frame_cpu as ff
import terminal as term

COUNT = """
import json as _json, time as _t
import textual.app, textual.screen, textual._compositor, textual.css.stylesheet
_SEEN = {"apply": [0, 0.0], "layout": [0, 0.0], "paint": [0, 0.0]}
def _counted(owner, name, key, only=None):
    orig = getattr(owner, name)
    def wrapper(self, *a, **k):
        if only is not None and type(self).__name__ != only:
            return orig(self, *a, **k)
        t = _t.process_time()
        try:
            return orig(self, *a, **k)
        finally:
            _SEEN[key][0] += 1
            _SEEN[key][1] += _t.process_time() - t
    setattr(owner, name, wrapper)
_counted(textual.css.stylesheet.Stylesheet, "apply", "apply")
_counted(textual.screen.Screen, "_refresh_layout", "layout", "MainScreen")
_counted(textual._compositor.Compositor, "render_update", "paint")
_run = textual.app.App.run
def _run_counted(self, *a, **k):
    for v in _SEEN.values():
        v[:] = [0, 0.0]  # from App.run on
    return _run(self, *a, **k)
textual.app.App.run = _run_counted
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--src", action="append", help="a tminus src/ directory (repeatable)")
    args = ap.parse_args(argv)
    srcs = [str(Path(s).resolve()) for s in (args.src or [str(term.ROOT / "src")])]
    home = tempfile.mkdtemp(prefix="tminus-bench-")
    pyc = tempfile.mkdtemp(prefix="tminus-bench-pyc-")
    out = Path(home) / "first-frame.txt"
    counts = Path(home) / "counts.json"
    base = {k: v for k, v in os.environ.items() if not k.startswith("TEXTUAL")}
    base.pop("PYTHONDONTWRITEBYTECODE", None)
    base.pop("COLORTERM", None)
    base.update(TERM="xterm-256color", TMINUS_HOME=home, PYTHONPYCACHEPREFIX=pyc)
    code = ff.HARNESS.format(out=str(out), after=0.0, **ff.TMINUS)
    code = code.replace(
        "def done_with(frame, stall):\n",
        f"def done_with(frame, stall):\n    open({str(counts)!r}, 'w').write(_json.dumps(_SEEN))\n",
        1,
    )
    code = code.replace(
        "sys.meta_path.insert(0, PatchFooter())",
        "sys.meta_path.insert(0, PatchFooter())\n" + COUNT,
    )
    print(term.machine())
    print(f"load average before: {os.getloadavg()[0]:.2f}", flush=True)
    results: dict[str, list[dict[str, list[float]]]] = {src: [] for src in srcs}
    for src in srcs:  # untimed: fills the bytecode cache
        ff.one(code, {**base, "PYTHONPATH": src}, out)
    for _ in range(args.runs):
        for src in srcs:
            counts.unlink(missing_ok=True)
            ff.one(code, {**base, "PYTHONPATH": src}, out)
            if counts.exists():
                results[src].append(json.loads(counts.read_text()))
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    print(f"{'from App.run to the first full frame (median)':60} {'':>8}calls  CPU s")
    for src, runs in results.items():
        for key, label in (
            ("apply", "stylesheet applied to a node"),
            ("layout", "layouts of the main screen"),
            ("paint", "paints (render_update)"),
        ):
            n = statistics.median(r[key][0] for r in runs) if runs else float("nan")
            cpu = statistics.median(r[key][1] for r in runs) if runs else float("nan")
            print(f"{src[-40:]:40} {label:28} {n:6.0f} {cpu:6.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
