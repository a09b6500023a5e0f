"""`tminus check` tells the truth: no library noise on stderr, manual items not confirmed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SRC = str(Path(__file__).parents[1] / "src")

PLAN = """
[launch]
name = "Noise"
t0 = 2026-12-04T16:00:00Z

[settings]
check_timeout = "90s"  # the first import of the kubernetes client is slow on a busy machine

[backends.kubernetes]
contexts = ["eu", "us"]
kubeconfig = "{kubeconfig}"

[[phases]]
id = "p"
title = "P"
at = "-1d"

  [[phases.sections]]
  title = "S"

{items}
"""
ITEM = """
    [[phases.sections.items]]
    title = "Cluster {i}"
    check = {{ kind = "kubernetes" }}
"""
MANUAL = """
    [[phases.sections.items]]
    title = "Sign-off by security"
    manual = true
"""


def run_check(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    plan = tmp_path / "plan.toml"
    items = "".join(ITEM.format(i=i) for i in range(6)) + MANUAL
    plan.write_text(PLAN.format(kubeconfig=tmp_path / "missing-kubeconfig", items=items))
    return subprocess.run(
        [sys.executable, "-m", "tminus.cli", "check", "--no-record", *extra, str(plan)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": SRC},
    )


def test_kubernetes_library_noise_is_silenced_into_one_message(tmp_path: Path) -> None:
    proc = run_check(tmp_path)
    assert proc.returncode == 1
    assert "Config not found" not in proc.stderr, proc.stderr
    assert proc.stderr == ""
    # each kubernetes item says, once, in our words, what is wrong
    lines = [line for line in proc.stdout.splitlines() if line.startswith("ERROR")]
    assert len(lines) == 6
    assert all("no kubeconfig at" in line for line in lines)
    assert f"no kubeconfig at {tmp_path / 'missing-kubeconfig'}" in proc.stdout


def test_manual_items_are_not_said_to_be_confirmed(tmp_path: Path) -> None:
    proc = run_check(tmp_path, "--json", "--junit", str(tmp_path / "junit.xml"))
    rows = json.loads(proc.stdout)["results"]
    manual = [r for r in rows if r["kind"] == "manual"]
    assert len(manual) == 1
    assert "confirmed" not in manual[0]["message"].replace("confirms", "")
    assert "not run" in manual[0]["message"]
    junit = (tmp_path / "junit.xml").read_text()
    assert "confirmed in the console" not in junit and "not run by" in junit
