"""A shared bastion: tminus folders are created 0700 and unsafe ones are refused, as ssh does."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tminus.cli import main
from tminus.core.paths import UnsafeDirectory, sessions_dir

SRC = str(Path(__file__).parents[1] / "src")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_every_folder_is_created_0700_including_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "a" / "home"
    monkeypatch.setenv("TMINUS_HOME", str(home))
    old = os.umask(0o022)
    try:
        sessions = sessions_dir()
    finally:
        os.umask(old)
    assert sessions == home / "sessions"
    assert mode(home) == 0o700 and mode(sessions) == 0o700 and mode(tmp_path / "a") == 0o700


@pytest.mark.parametrize("bits", [0o777, 0o775, 0o757, 0o1777])
def test_group_or_world_writable_home_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], bits: int
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    os.chmod(home, bits)
    monkeypatch.setenv("TMINUS_HOME", str(home))
    with pytest.raises(UnsafeDirectory, match="writable by group or others"):
        sessions_dir()
    assert not (home / "sessions").exists()  # nothing was created in it
    assert main(["sessions"]) == 2
    assert "chmod go-w" in capsys.readouterr().err


def test_world_writable_sessions_folder_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    (home / "sessions").mkdir(parents=True, mode=0o700)
    os.chmod(home, 0o700)
    os.chmod(home / "sessions", 0o777)
    monkeypatch.setenv("TMINUS_HOME", str(home))
    with pytest.raises(UnsafeDirectory, match="sessions: writable by group or others"):
        sessions_dir()


def test_a_private_but_loose_folder_of_ours_is_tightened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    (home / "sessions").mkdir(parents=True)
    os.chmod(home / "sessions", 0o755)  # readable by others, writable only by us: ours to fix
    monkeypatch.setenv("TMINUS_HOME", str(home))
    sessions_dir()
    assert mode(home / "sessions") == 0o700


@pytest.mark.skipif(os.geteuid() != 0, reason="changing a folder's owner needs root")
def test_foreign_owned_home_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    os.chown(home, 65534, 65534)  # nobody
    monkeypatch.setenv("TMINUS_HOME", str(home))
    with pytest.raises(UnsafeDirectory, match="owned by another user"):
        sessions_dir()


def test_foreign_owned_sessions_folder_is_refused_for_any_user(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # as a non-root user, /proc/1 is such a folder; as root, chown makes one
    home = tmp_path / "home"
    (home / "sessions").mkdir(parents=True, mode=0o700)
    if os.geteuid() == 0:
        os.chown(home / "sessions", 65534, 65534)
    else:  # pragma: no cover - depends on who runs the suite
        pytest.skip("needs root to hand a folder to another user")
    monkeypatch.setenv("TMINUS_HOME", str(home))
    with pytest.raises(UnsafeDirectory, match="owned by another user"):
        sessions_dir()


@pytest.mark.parametrize("kind", ["file", "unwritable", "under a file"])
def test_bad_home_is_a_clear_error_with_exit_2(tmp_path: Path, kind: str) -> None:
    if kind == "file":
        home = tmp_path / "home"
        home.write_text("not a folder")
    elif kind == "unwritable":
        home = Path("/proc/tminus-home")  # nobody, not even root, can create folders here
    else:
        (tmp_path / "f").write_text("")
        home = tmp_path / "f" / "home"
    plan = Path(__file__).parents[1] / "src" / "tminus" / "plan" / "default_plan.toml"
    for argv in (["sessions"], ["check", "--item", "penetration-testing-completed", str(plan)]):
        proc = subprocess.run(
            [sys.executable, "-m", "tminus.cli", *argv],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "PYTHONPATH": SRC, "TMINUS_HOME": str(home)},
        )
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr
        assert proc.stderr.startswith(f"tminus: error: {home}"), proc.stderr
