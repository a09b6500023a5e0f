"""Instructions executed before `App.run`: the start-up's import and set-up work, counted
exactly, so it compares across runs on a loaded machine where CPU seconds vary by ±20%.

For `tminus demo` (once per --src) and the shared reference app
(`../shared/bench/reference_sparkline_app.py`), this runs the program under valgrind's
cachegrind (`--cache-sim=no`: instructions only) with `App.run` replaced by a function
that returns, so the count covers the interpreter's start, every import, the plan's parse
and the engine's construction, and none of the event loop (whose work before the first
frame depends on timing, which valgrind slows fifty-fold). Bytecode is cached by one
plain start of each first, as after an install. Needs valgrind; each count takes some
20 s.

    .venv/bin/python bench/start_instructions.py [--src DIR ...]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import terminal as term

STOP = "import textual.app\ntextual.app.App.run = lambda self, *a, **k: None\n"
TMINUS = STOP + "import sys\nsys.argv = ['tminus', 'demo']\nfrom tminus.cli import main\nmain()\n"
REFERENCE = (
    STOP + "import runpy, sys\nsys.argv = ['ref']\nrunpy.run_path({app!r}, run_name='__main__')\n"
)


def count(code: str, env: dict[str, str]) -> int:
    """Instructions of one run of `code` (its bytecode cached by a plain run first)."""
    subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, check=True)
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "cachegrind.log"
        subprocess.run(
            [
                "valgrind",
                "--tool=cachegrind",
                "--cache-sim=no",
                "--cachegrind-out-file=/dev/null",
                f"--log-file={log}",
                sys.executable,
                "-c",
                code,
            ],
            env=env,
            capture_output=True,
            check=True,
        )
        found = re.search(r"I\s+refs:\s+([\d,]+)", log.read_text())
    if found is None:
        raise SystemExit("valgrind reported no instruction count")
    return int(found.group(1).replace(",", ""))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--src", action="append", help="a tminus src/ directory (repeatable)")
    args = ap.parse_args(argv)
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed")
    srcs = [str(Path(s).resolve()) for s in (args.src or [str(term.ROOT / "src")])]
    base = {k: v for k, v in os.environ.items() if not k.startswith("TEXTUAL")}
    base.pop("PYTHONDONTWRITEBYTECODE", None)
    base.update(PYTHONPYCACHEPREFIX=tempfile.mkdtemp(prefix="tminus-bench-pyc-"))
    print(term.machine())
    ref = count(REFERENCE.format(app=str(term.REFERENCE_APP)), base)
    print(f"{'reference':60} {ref / 1e6:9.0f} M instructions before App.run")
    for src in srcs:
        env = {**base, "PYTHONPATH": src, "TMINUS_HOME": tempfile.mkdtemp(prefix="tminus-")}
        n = count(TMINUS, env)
        print(f"{'tminus ' + src:60} {n / 1e6:9.0f} M instructions, {n / ref:.2f}x the reference")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
