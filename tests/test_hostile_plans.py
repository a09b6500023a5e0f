"""Hostile and clumsy plans: a clear error, bounded time, never a traceback, exit 2.

Every plan here is bad. Each is run through `validate`, `check`, `run` and `plan show`
in-process (fast), and a few through the real executable. The named cases are the ones
found by hand; hypothesis then mutates the default plan and those cases.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tminus.cli import main
from tminus.plan.loader import MAX_PLAN_BYTES, default_plan_text

BASE = default_plan_text()
COMMANDS = (["validate"], ["check", "--no-record"], ["run"], ["plan", "show"])
# Per plan and command, in CPU seconds of the thread that parses it: a quadratic parser
# or a runaway loop spends CPU (the inputs below took 7-30 s before their fixes), while
# CPU time does not grow when other work shares the machine, as wall time does: on 2 busy
# cores, the slowest case here takes ~0.3 s. WALL_S bounds waiting instead of working
# (a blocked read).
BUDGET_S = 3.0
WALL_S = 60.0


def _sub(old: str, new: str) -> str:
    assert old in BASE, old
    return BASE.replace(old, new, 1)


NOTIFY = '\n[[comms.notify]]\nname = "pager"\nkind = "command"\nargv = ["true"]\n'

NAMED: dict[str, str | None] = {
    "empty at": _sub('at = "-7d"', 'at = ""'),
    "overflowing offset": _sub('at = "-7d"', 'at = "-' + "9" * 30 + 'w"'),
    "overflowing duration": _sub('check_timeout = "10s"', 'check_timeout = "' + "9" * 400 + 'w"'),
    "fractional overflow": _sub('check_timeout = "10s"', 'check_timeout = "99999999999.9w"'),
    "20,000-digit duration": _sub('check_timeout = "10s"', 'check_timeout = "' + "1" * 20000 + '"'),
    "400 parentheses": _sub(
        'expect = "value >= 2"', 'expect = "' + "(" * 400 + "value >= 2" + ")" * 400 + '"'
    ),
    "1,000 nots": _sub('expect = "value >= 2"', 'expect = "' + "not " * 1000 + 'value >= 2"'),
    "10,000 ands": _sub(
        'expect = "value >= 2"', 'expect = "' + "value > 1 and " * 2000 + 'value >= 2"'
    ),
    "nested len": _sub(
        'expect = "value >= 2"', 'expect = "' + "len(" * 300 + "1" + ")" * 300 + '"'
    ),
    "huge number in condition": _sub('expect = "value >= 2"', 'expect = "value >= 1e999"'),
    "TOML nested 1,000 deep": BASE + "\nx = " + "[" * 1000 + "]" * 1000 + "\n",
    "TOML nested 30 deep": BASE + "\n[launch.x]\ny = " + "[" * 30 + "]" * 30 + "\n",
    "inline tables 1,000 deep": BASE + "\nx = " + "{a=" * 1000 + "1" + "}" * 1000 + "\n",
    "5,000-digit integer": _sub("concurrency = 8", "concurrency = " + "9" * 5000),
    "4,000-digit integer": _sub("concurrency = 8", "concurrency = " + "9" * 4000),
    "4,000-digit integer in a string field": _sub('name = "MusicConnect"', "name = " + "9" * 4000),
    "DNS port out of range": _sub('type = "A", values', 'type = "A", port = 99999, values'),
    "TLS port 0": _sub("port = 443", "port = 0"),
    "check_timeout 0s": _sub('check_timeout = "10s"', 'check_timeout = "0s"'),
    "check_timeout 0": _sub('check_timeout = "10s"', 'check_timeout = "0"'),
    "item timeout 0s": _sub('timeout = "5m"', 'timeout = "0s"'),
    "demo speed nan": _sub("speed = 1.0", "speed = nan"),
    "demo speed inf": _sub("speed = 1.0", "speed = inf"),
    "expect 200": _sub('expect = "value >= 2"', 'expect = "200"'),
    "expect a string": _sub('expect = "value >= 2"', "expect = \"'up'\""),
    "expect len()": _sub('expect = "value >= 2"', 'expect = "len(value)"'),
    "NUL in argv": _sub('"--dry-run"', '"--dry\\u0000run"'),
    "raw NUL byte": BASE + "\n# \x00\n",
    "phase id with spaces": _sub('id = "pre-launch"', 'id = "Pre Launch!"'),
    "phase id too long": _sub('id = "pre-launch"', 'id = "' + "a" * 200 + '"'),
    "item id with a slash": _sub(
        'title = "Penetration testing completed"',
        'title = "Penetration testing completed"\n    id = "../etc"',
    ),
    "20,000 unknown fields": BASE + "".join(f"\nunknown{i} = 1" for i in range(20000)),
    "huge unknown value": BASE + '\n[launch.x]\n"' + "k" * 5000 + '" = "' + "v" * 50000 + '"\n',
    "not TOML at all": "\x01\x02" * 1000,
    "invalid UTF-8": None,  # written as bytes below
    # the newer sections: rollout, watched checks, freshness, notifications
    "rollout step 1000": _sub("steps = [5, 25, 50, 100]", "steps = [5, 25, 50, 1000]"),
    "rollout step of 4,000 digits": _sub(
        "steps = [5, 25, 50, 100]", "steps = [" + "9" * 4000 + "]"
    ),
    "rollout bake overflowing": _sub('bake = "10m"', 'bake = "' + "9" * 400 + 'w"'),
    "phase every 0s": _sub('id = "pre-launch"', 'id = "pre-launch"\nevery = "0s"'),
    "phase every overflowing": _sub('id = "pre-launch"', 'id = "pre-launch"\nevery = "9e99w"'),
    "fresh_within 0s": _sub('sample_every = "60s"', 'sample_every = "60s"\nfresh_within = "0s"'),
    "status_every overflowing": _sub('status_every = "30m"', 'status_every = "99999999999.9w"'),
    "notify backoff 0s": BASE + NOTIFY + 'backoff = "0s"\n',
    "notify timeout 0s": BASE + NOTIFY + 'timeout = "0s"\n',
    "notify retries 10^9": BASE + NOTIFY + "retries = 1000000000\n",
}


def _write(tmp: Path, name: str, text: str | None) -> Path:
    path = tmp / "plan.toml"
    if text is None:
        path.write_bytes(BASE.encode()[:200] + b"\xff\xfe" + BASE.encode()[200:])
    else:
        path.write_text(text, encoding="utf-8")
    return path


def run_cli(argv: list[str]) -> tuple[int, str, float]:
    """(exit code, stderr, CPU seconds spent), failing at once if it waited too long."""
    out, err = io.StringIO(), io.StringIO()
    # this thread's CPU, not the process's: threads an earlier test left running in this
    # pytest process (a poller, a snapshot writer) once put 3.2 s on a plan's `plan show`
    started, cpu = time.monotonic(), time.thread_time()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)  # an exception here is a traceback for the user: the test fails
    waited = time.monotonic() - started
    assert waited < WALL_S, (argv[0], waited)
    return code, err.getvalue(), time.thread_time() - cpu


def assert_refused(path: Path) -> None:
    for cmd in COMMANDS:
        code, err, took = run_cli([*cmd, str(path)])
        assert code == 2, (cmd, err[-500:])
        assert "Traceback" not in err
        assert "cannot be used (" not in err, err[-500:]  # the loader's safety net: a bug
        assert took < BUDGET_S, (cmd, took)
        lines = err.splitlines()
        assert len(lines) <= 22, len(lines)  # a screenful, then a count
        assert all(len(line) < 1000 for line in lines), max(map(len, lines))


@pytest.mark.parametrize("name", sorted(NAMED))
def test_named_hostile_plan_is_refused(tmp_path: Path, name: str) -> None:
    assert_refused(_write(tmp_path, name, NAMED[name]))


def test_many_problems_are_counted_after_a_screenful(tmp_path: Path) -> None:
    code, err, _ = run_cli(["validate", str(_write(tmp_path, "", NAMED["20,000 unknown fields"]))])
    assert code == 2
    assert "... and 19980 more" in err
    assert err.rstrip().endswith("20000 problems in the plan")


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "plan.toml"
    os.mkfifo(fifo)
    result: list[tuple[int, str, float]] = []
    worker = threading.Thread(target=lambda: result.append(run_cli(["validate", str(fifo)])))
    worker.start()
    worker.join(5)
    if worker.is_alive():  # unblock the reader so the test run can end, then fail
        with open(fifo, "w"):
            pass
        pytest.fail("reading a FIFO plan blocked")
    code, err, _ = result[0]
    assert code == 2 and "not a regular file" in err


@pytest.mark.parametrize("path", ["/dev/zero", "/dev/null", "/"])
def test_devices_and_folders_are_refused(path: str) -> None:
    code, err, took = run_cli(["validate", path])
    assert code == 2 and took < BUDGET_S
    assert "not a regular file" in err or "is a directory" in err


def test_oversized_plan_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.toml"
    with path.open("w") as f:
        f.write(BASE)
        f.write("# " + "x" * 200 + "\n" * 1)
        f.truncate(MAX_PLAN_BYTES + 1)
    code, err, took = run_cli(["validate", str(path)])
    assert code == 2 and "at most" in err and took < BUDGET_S


# --- hypothesis: mutations of the default plan and of the named cases ---------------

_SEEDS = [t for t in NAMED.values() if t is not None and " = " in t and len(t) < 200_000]
_VALUE = re.compile(r'= ("(?:[^"\\]|\\.)*"|\'[^\']*\'|[-+\w.:]+)')
_HOSTILE_VALUES = st.sampled_from(
    [
        '""',
        '"0s"',
        '"-0s"',
        '"' + "9" * 64 + 'w"',
        "nan",
        "-inf",
        "0",
        "-1",
        "65536",
        "9" * 30,
        "[]",
        "{}",
        "true",
        '"\\u0000"',
        '"(((("',
        '"not not not"',
        '"200"',
        "[" * 40 + "]" * 40,
        '"[bold]x[/]"',
        "'''\n'''",
    ]
)


@st.composite
def mutated_plan(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(_SEEDS))
    lines = text.splitlines()
    value_lines = [i for i, line in enumerate(lines) if _VALUE.search(line)]
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.sampled_from(value_lines))
        spots = list(_VALUE.finditer(lines[i]))
        if not spots:
            continue
        m = draw(st.sampled_from(spots))  # any value, also inside an inline table
        lines[i] = f"{lines[i][: m.start(1)]}{draw(_HOSTILE_VALUES)}{lines[i][m.end(1) :]}"
    if draw(st.booleans()):  # sometimes also cut the plan short or duplicate a slice
        cut = draw(st.integers(0, len(lines)))
        lines = lines[:cut] + (lines[cut // 2 : cut] if draw(st.booleans()) else [])
    return "\n".join(lines) + "\n"


@settings(
    max_examples=int(os.environ.get("TMINUS_HOSTILE_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=mutated_plan())
def test_mutated_plans_never_crash(tmp_path: Path, text: str) -> None:
    path = tmp_path / "plan.toml"
    path.write_text(text, encoding="utf-8")
    for cmd in COMMANDS:
        if cmd[0] in ("check", "run"):
            continue  # a mutation may leave a valid plan: those would run checks or a console
        code, err, took = run_cli([*cmd, str(path)])
        assert took < BUDGET_S, (cmd, took)
        assert code in (0, 2), err[-500:]
        assert "Traceback" not in err and "cannot be used (" not in err, err[-500:]
        assert len(err.splitlines()) <= 22


@pytest.mark.parametrize("name", ["empty at", "TOML nested 1,000 deep", "5,000-digit integer"])
def test_real_executable_exits_2_without_traceback(tmp_path: Path, name: str) -> None:
    path = _write(tmp_path, name, NAMED[name])
    for cmd in (["validate"], ["check", "--no-record"]):
        proc = subprocess.run(
            [sys.executable, "-m", "tminus.cli", *cmd, str(path)],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src")},
        )
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr
