"""`tminus check` reports what the session's events say (the console's fold), not the
runner's return values: the same redacted results, recorded or not."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tminus.engine.session import load_events, session_files
from tminus.engine.state import fold

SECRET = "tok-4f9c2b7e-only-in-the-env"
PLAN = """
[launch]
name = "OutputCheck"
t0 = 2026-12-04T16:00:00Z
environment = "staging"

[[phases]]
id = "ready"
title = "Readiness"
at = "-1d"

  [[phases.sections]]
  title = "Checks"

    [[phases.sections.items]]
    title = "Token echo"
      [phases.sections.items.check]
      kind = "command"
      argv = ["sh", "-c", "echo token=$TOKEN"]
      env_from = { TOKEN = "OUTPUT_CHECK_TOKEN" }
      expect = "exit_code == 0"

    [[phases.sections.items]]
    title = "Fails"
    check = { kind = "command", argv = ["sh", "-c", "exit 3"] }

    [[phases.sections.items]]
    title = "By hand"
    manual = true
"""


def check(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN)
    return subprocess.run(
        [sys.executable, "-m", "tminus.cli", "check", str(plan), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "OUTPUT_CHECK_TOKEN": SECRET},
        timeout=60,
    )


@pytest.mark.parametrize("record", [True, False])
def test_check_json_is_the_fold_of_the_session_events(tmp_path, record):
    junit = tmp_path / "junit.xml"
    args = ["--json", "--junit", str(junit)] + ([] if record else ["--no-record"])
    out = check(tmp_path, *args)
    assert out.returncode == 1, out.stderr  # one check fails
    report = json.loads(out.stdout)
    by_id = {r["id"]: r for r in report["results"]}
    assert by_id["token-echo"]["outcome"] == "pass"
    assert by_id["fails"]["outcome"] == "fail"
    assert by_id["by-hand"]["outcome"] == "manual"
    # the events are redacted when written; the report is built from them, so it is too
    assert SECRET not in out.stdout and SECRET not in junit.read_text()
    files = list(session_files())
    if record:
        (path,) = files
        assert report["session"] == path.stem
        state = fold(load_events(path).events)
        for item_id in ("token-echo", "fails"):
            last = state.items[item_id].last
            assert last is not None and by_id[item_id]["message"] == last.message
            assert by_id[item_id]["value"] == last.value
        assert state.info["mode"] == "check" and state.closed
    else:
        assert files == [] and report["session"] is None
