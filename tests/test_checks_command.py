"""Command checks with real subprocesses: exit codes, output, env secrets, and timeouts that
kill the whole process group."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import pytest

from tminus.backends.base import BackendError, Backends
from tminus.backends.commands import LocalCommands
from tminus.checks.base import CheckContext
from tminus.checks.command import run_command
from tminus.core.conditions import Condition
from tminus.core.redact import scrub
from tminus.core.results import CheckResult, Outcome
from tminus.plan.checkspecs import CommandCheck

SECRET = "cmd-s3cret-value-42"


class Unused:
    """A backend these tests never touch."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"a command check used another backend ({name})")


def make_backends(
    env: dict[str, str] | None = None, base_env: dict[str, str] | None = None
) -> Backends:
    return Backends(
        http=Unused(),  # type: ignore[arg-type]
        tls=Unused(),  # type: ignore[arg-type]
        dns=Unused(),  # type: ignore[arg-type]
        tcp=Unused(),  # type: ignore[arg-type]
        commands=LocalCommands(base_env),
        env=env or {},
    )


async def run(spec: CommandCheck, timeout: float = 10.0, **kw: Any) -> CheckResult:
    async with asyncio.timeout(timeout + 10):  # a hung check must not hang the suite
        return await run_command(spec, CheckContext(backends=make_backends(**kw), timeout=timeout))


def cmd(*argv: str, **kw: Any) -> CommandCheck:
    return CommandCheck(kind="command", argv=argv, **kw)


def sh(command: str, **kw: Any) -> CommandCheck:
    return CommandCheck(kind="command", shell=True, command=command, **kw)


def alive(pid: int) -> bool:
    """Running (a zombie counts as dead: this machine's PID 1 may never reap orphans)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_dead(pid: int, deadline_s: float = 3.0) -> bool:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.02)
    return False


async def read_pid(path: Path, deadline_s: float = 5.0) -> int:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        text = path.read_text() if path.exists() else ""
        if text.endswith("\n"):
            return int(text)
        await asyncio.sleep(0.02)
    raise AssertionError(f"{path} was not written")


# ---------------------------------------------------------------- exit codes and output
async def test_exit_zero_passes() -> None:
    r = await run(cmd("true"))
    assert r.outcome is Outcome.PASS, r.message
    assert r.value == 0
    assert r.values["exit_code"] == 0
    assert r.message.startswith("exit 0 in ")


async def test_exit_three_fails() -> None:
    r = await run(cmd("sh", "-c", "echo building; echo '3 tests failed' >&2; exit 3"))
    assert r.outcome is Outcome.FAIL
    assert r.value == 3
    assert "expected exit_code == 0" in r.message
    assert r.values["stdout"] == "building\n"
    assert r.values["stderr"] == "3 tests failed\n"
    # the result keeps the lines a person needs: stdout, then stderr
    assert r.output == "building\n3 tests failed"


async def test_stdout_condition() -> None:
    expect = Condition.parse('exit_code == 0 and stdout contains "0 pending"')
    r = await run(cmd("echo", "migrations: 0 pending", expect=expect))
    assert r.outcome is Outcome.PASS, r.message
    r = await run(cmd("echo", "migrations: 3 pending", expect=expect))
    assert r.outcome is Outcome.FAIL
    assert r.values["stdout"] == "migrations: 3 pending\n"


async def test_output_is_bounded() -> None:
    r = await run(cmd("seq", "1", "100000", output_limit=64))
    assert r.outcome is Outcome.PASS
    stdout = r.values["stdout"]
    assert len(stdout.encode()) <= 64
    assert stdout.endswith("99999\n100000\n")  # the tail, not the head
    assert r.output.splitlines()[-1] == "100000"
    assert len(r.output.splitlines()) <= 20


async def test_killed_by_signal_reads_as_such() -> None:
    r = await run(sh("kill -9 $$"))
    assert r.outcome is Outcome.FAIL
    assert r.value == -9
    assert "killed by SIGKILL" in r.message


async def test_shell_true_runs_through_sh(tmp_path: Path) -> None:
    r = await run(
        sh(
            "echo $((6 * 7)) | tr -d '\\n'; pwd >&2",
            cwd=str(tmp_path),
            expect=Condition.parse('stdout == "42"'),
        )
    )
    assert r.outcome is Outcome.PASS, r.message
    assert r.values["stderr"].strip() == str(tmp_path)


async def test_argv_is_not_shell_parsed(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    r = await run(cmd("echo", f"$(touch {marker})", "|", "cat"))
    assert r.outcome is Outcome.PASS
    assert r.values["stdout"] == f"$(touch {marker}) | cat\n"
    assert not marker.exists()


# ---------------------------------------------------------------- errors
async def test_missing_program_is_an_error() -> None:
    r = await run(cmd("no-such-program-tminus", "--version"))
    assert r.outcome is Outcome.ERROR
    assert r.message == "not_found: program not found: no-such-program-tminus"


async def test_missing_cwd_is_an_error(tmp_path: Path) -> None:
    r = await run(cmd("true", cwd=str(tmp_path / "nope")))
    assert r.outcome is Outcome.ERROR
    assert "working directory not found" in r.message


# ---------------------------------------------------------------- environment
async def test_env_from_secret_reaches_the_child() -> None:
    spec = sh(
        'printf "%s|%s|%s" "$API_TOKEN" "$STAGE" "${PARENT_ONLY:-unset}"',
        env={"STAGE": "prod"},
        env_from={"API_TOKEN": "LAUNCH_API_TOKEN"},
    )
    r = await run(
        spec,
        env={"LAUNCH_API_TOKEN": SECRET},
        base_env={"PATH": os.environ["PATH"], "PARENT_ONLY": "leaked"},
    )
    assert r.outcome is Outcome.PASS, r.message
    # only PATH, HOME and LANG are inherited from the console's environment
    assert r.values["stdout"] == f"{SECRET}|prod|unset"
    # the value was registered as a secret: the session log will never show it
    assert SECRET not in scrub(r.output)
    assert SECRET not in scrub(r.values["stdout"])


async def test_env_from_missing_variable_is_an_error() -> None:
    r = await run(sh("true", env_from={"API_TOKEN": "TMINUS_TEST_UNSET_VAR"}), env={})
    assert r.outcome is Outcome.ERROR
    assert "TMINUS_TEST_UNSET_VAR" in r.message
    assert "API_TOKEN" in r.message


# ---------------------------------------------------------------- timeouts and cancellation
async def test_timeout_kills_child_and_grandchild(tmp_path: Path) -> None:
    pidfile = tmp_path / "pids"
    # the grandchild holds no pipe of ours: only the process-group kill can reach it
    spec = sh(f"sleep 60 >/dev/null 2>&1 & echo $! > {pidfile}; echo waiting; wait")
    started = time.monotonic()
    r = await run(spec, timeout=1.0)
    elapsed = time.monotonic() - started
    assert r.outcome is Outcome.ERROR
    assert r.message == "timed out after 1s; process group killed"
    assert r.output == "waiting"
    assert elapsed < 3.0  # sh dies on SIGTERM: no SIGKILL grace needed
    grandchild = int(pidfile.read_text())
    assert wait_dead(grandchild), f"grandchild {grandchild} survived the timeout"


async def test_timeout_escalates_to_sigkill(tmp_path: Path) -> None:
    pidfile = tmp_path / "pids"
    # both the shell and its child ignore SIGTERM
    spec = sh(f"trap '' TERM; sleep 60 & echo $$ $! > {pidfile}; wait; wait")
    started = time.monotonic()
    r = await run(spec, timeout=1.0)
    elapsed = time.monotonic() - started
    assert r.outcome is Outcome.ERROR and "process group killed" in r.message
    assert 2.5 < elapsed < 5.0  # timeout, then the ~2 s grace before SIGKILL
    for pid in map(int, pidfile.read_text().split()):
        assert wait_dead(pid), f"{pid} survived SIGKILL"


async def test_timeout_kills_a_setsid_grandchild(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    # setsid leaves our process group (and session): the group kill alone cannot reach it
    spec = sh(f"setsid sh -c 'echo $$ > {pidfile}; exec sleep 60' </dev/null & wait")
    r = await run(spec, timeout=1.0)
    assert r.outcome is Outcome.ERROR and "timed out" in r.message
    grandchild = int(pidfile.read_text())
    assert wait_dead(grandchild), f"setsid grandchild {grandchild} survived the timeout"


async def test_orphaned_setsid_daemon_is_killed_when_its_check_ends(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    # double fork: the intermediate shell exits at once, so the daemon is orphaned and
    # re-parented; its pipes point elsewhere, so the check itself ends normally
    spec = sh(
        f"setsid sh -c 'echo $$ > {pidfile}; exec sleep 60' </dev/null >/dev/null 2>&1 &"
        " sleep 0.3; echo started"
    )
    r = await run(spec, timeout=10.0)
    assert r.outcome is Outcome.PASS and r.output == "started"
    daemon = int(pidfile.read_text())
    assert wait_dead(daemon), f"background daemon {daemon} outlived its check"


async def test_cancellation_kills_the_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    task = asyncio.create_task(run(sh(f"sleep 60 & echo $! > {pidfile}; wait"), timeout=30))
    grandchild = await read_pid(pidfile)
    task.cancel()
    started = time.monotonic()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - started < 10  # not the 30 s timeout, nor the 60 s sleep
    assert wait_dead(grandchild)


async def test_backend_runs_commands_concurrently(tmp_path: Path) -> None:
    commands = LocalCommands()
    # each command waits until all 8 have started: one at a time, the first would time out
    barrier = (
        f'touch "{tmp_path}/$0"; until [ "$(ls "{tmp_path}" | wc -l)" -ge 8 ]; do sleep 0.02; done'
    )
    outs = await asyncio.gather(
        *(
            commands.run(
                ["sh", "-c", f"{barrier}; echo $0", str(i)],
                command=None,
                shell=False,
                cwd=None,
                env={},
                timeout=5,
                output_limit=100,
            )
            for i in range(8)
        )
    )
    assert [o.stdout for o in outs] == [f"{i}\n" for i in range(8)]
    assert all(o.exit_code == 0 and not o.timed_out for o in outs)


async def test_backend_missing_program_names_it() -> None:
    with pytest.raises(BackendError) as info:
        await LocalCommands().run(
            ["definitely-not-installed-xyz"],
            command=None,
            shell=False,
            cwd=None,
            env={},
            timeout=5,
            output_limit=100,
        )
    assert info.value.kind == "not_found"
    assert "definitely-not-installed-xyz" in str(info.value)
