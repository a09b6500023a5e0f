import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tminus import __version__
from tminus.cli import main
from tminus.engine.events import SessionStarted
from tminus.engine.session import create_session
from tminus.plan.loader import default_plan, load_plan


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tminus.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=60,
    )


def test_version():
    out = run("--version")
    assert out.returncode == 0 and out.stdout.strip() == f"tminus {__version__}"


def test_validate_ok_and_bad(tmp_path: Path):
    good = tmp_path / "plan.toml"
    assert main(["init", str(good)]) == 0
    out = run("validate", str(good))
    assert out.returncode == 0 and "ok: 3 phases" in out.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text(
        good.read_text()
        .replace('at = "-7d"', 'at = "-7x"', 1)
        .replace('name = "MusicConnect"', "name = 7", 1)
    )
    out = run("validate", str(bad))
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    lines = out.stderr.splitlines()
    assert any(f"{bad}:" in x and "launch.name: expected a string" in x for x in lines)
    assert any("phases[0].at: bad offset '-7x'" in x for x in lines)
    assert lines[-1] == "tminus: 2 problems in the plan"


def test_bad_arguments_exit_2():
    out = run("validate")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert run("frobnicate").returncode == 2
    assert run("validate", "/no/such/plan.toml").returncode == 2


def test_init_writes_the_default_plan_for_real_backends(tmp_path: Path):
    target = tmp_path / "plan.toml"
    out = run("init", str(target))
    assert out.returncode == 0
    text = target.read_text()
    assert text.startswith("# tminus launch plan")
    assert "# Immediate rollback triggers" in text
    written = load_plan(target)
    default = default_plan()
    assert not written.is_demo
    assert written.backends.prometheus is not None and written.backends.kubernetes is not None
    assert [i.id for _, _, i in written.items()] == [i.id for _, _, i in default.items()]
    assert [(i.check and i.check.kind) for _, _, i in written.items()] == [
        (i.check and i.check.kind) for _, _, i in default.items()
    ]
    assert written.rollout and written.rollout.actuator.kind == "ingress-nginx"
    # refuses to overwrite by accident
    again = run("init", str(target))
    assert again.returncode == 2 and "already exists" in again.stderr


def test_plan_show_json_is_the_normalized_plan():
    out = run("plan", "show", "--json")
    assert out.returncode == 0
    data = json.loads(out.stdout)
    assert data["launch"]["name"] == "MusicConnect"
    assert data["launch"]["t0"] == "2026-12-04T16:00:00Z"
    item = data["phases"][0]["sections"][0]["items"][3]
    assert item["id"] == "ssl-certificates-valid-30-days"
    assert item["check"]["expect"] == "days_left > 30"
    assert data["triggers"][0]["for"] == "30s"
    human = run("plan", "show")
    assert human.returncode == 0 and 'name = "MusicConnect"' in human.stdout


@pytest.mark.parametrize("as_json", [True, False])
def test_sessions_lists_recorded_sessions(tmp_path: Path, monkeypatch, as_json):
    home = tmp_path / "home"
    monkeypatch.setenv("TMINUS_HOME", str(home))
    w = create_session("MusicConnect")
    w.append(
        SessionStarted(
            session=w.session_id,
            mode="run",
            plan_name="MusicConnect",
            plan_path="/p/plan.toml",
            launch="MusicConnect",
            t0="2026-12-01T12:00:00+00:00",
            environment="production",
            version="0",
        )
    )
    w.append("note.added", text="hi")
    env = {"TMINUS_HOME": str(home)}
    if as_json:
        out = run("sessions", "--json", env=env)
        (info,) = json.loads(out.stdout)
        assert info["id"] == w.session_id and info["plan"] == "/p/plan.toml"
        assert info["last_type"] == "note.added" and not info["closed"]
        assert info["holder"] and f"pid {os.getpid()}" in info["holder"]
    else:
        out = run("sessions", env=env)
        short = f"{w.session_id[:16]}-{w.session_id[-4:]}"
        (row,) = [line for line in out.stdout.splitlines() if line.startswith(short)]
        assert " open " in row and "plan.toml" in row
        assert max(len(line) for line in out.stdout.splitlines()) <= 80
    w.close()
