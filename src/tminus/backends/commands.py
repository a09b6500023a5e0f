"""CommandBackend: local programs run as asyncio subprocesses, each in its own session.

Its own session (and so process group) is what lets a timeout or a cancellation kill the whole
tree a command started (`sh -c 'a | b'`, a test runner's workers), not just the direct child.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Mapping, Sequence
from typing import Any

from tminus.backends import reaper
from tminus.backends.base import BackendError, CommandOutput

KILL_GRACE_S = 2.0  # between SIGTERM and SIGKILL
DRAIN_S = 0.5  # for the pipes to close once the whole group is dead
INHERITED = ("PATH", "HOME", "LANG")
_READ_CHUNK = 65536


class LocalCommands:
    def __init__(self, base_env: Mapping[str, str] | None = None) -> None:
        source = os.environ if base_env is None else base_env
        # A minimal environment: the console's own secrets are not passed down by accident.
        self.base_env = {k: source[k] for k in INHERITED if k in source}

    async def run(
        self,
        argv: Sequence[str] | None,
        *,
        command: str | None,
        shell: bool,
        cwd: str | None,
        env: Mapping[str, str],
        timeout: float,
        output_limit: int,
    ) -> CommandOutput:
        if shell:
            if not command:
                raise BackendError("query", "shell = true needs a command")
            program, args = "/bin/sh", ["-c", command]
        else:
            if not argv:
                raise BackendError("query", "no program given (argv is empty)")
            program, args = argv[0], list(argv[1:])
        started = time.monotonic()
        reaper.become_subreaper()
        marker = reaper.new_marker()
        try:
            proc = await asyncio.create_subprocess_exec(
                program,
                *args,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                cwd=cwd,
                env={**self.base_env, **env, reaper.MARKER_VAR: marker},
                start_new_session=True,
            )
        except FileNotFoundError as exc:
            if cwd is not None and exc.filename == cwd:
                raise BackendError("not_found", f"working directory not found: {cwd}") from None
            raise BackendError("not_found", f"program not found: {program}") from None
        except PermissionError:
            raise BackendError("not_found", f"program not executable: {program}") from None
        except OSError as exc:
            raise BackendError("protocol", f"cannot run {program}: {exc.strerror}") from None

        assert proc.stdout is not None and proc.stderr is not None
        out, err = bytearray(), bytearray()
        readers = [
            asyncio.create_task(_tail(proc.stdout, out, output_limit)),
            asyncio.create_task(_tail(proc.stderr, err, output_limit)),
        ]
        # Done when the program has exited AND its output is closed: a background child still
        # holding our pipes counts as part of the command, as with subprocess.communicate().
        tasks: list[asyncio.Future[Any]] = [asyncio.ensure_future(proc.wait()), *readers]
        timed_out = False
        try:
            _, pending = await asyncio.wait(tasks, timeout=timeout)
            if pending:
                timed_out = True
                await _terminate(proc, tasks)
        except BaseException:  # cancelled: kill at once, and leave no zombie behind
            _signal_group(proc.pid, signal.SIGKILL)
            reaper.sweep(proc.pid, marker)  # blocking, but a cancelled check must not linger
            with contextlib.suppress(BaseException):
                await asyncio.shield(_reap(proc, tasks))
            raise
        finally:
            for task in tasks:
                task.cancel()
        # No process of a check outlives it: not one that left the group with setsid, nor a
        # background job of a command that exited.
        await asyncio.to_thread(reaper.sweep, proc.pid, marker)
        return CommandOutput(
            exit_code=None if timed_out else proc.returncode,
            stdout=bytes(out).decode(errors="replace"),
            stderr=bytes(err).decode(errors="replace"),
            timed_out=timed_out,
            duration=time.monotonic() - started,
        )


async def _tail(stream: asyncio.StreamReader, buf: bytearray, limit: int) -> None:
    """Read to EOF, keeping only the last `limit` bytes (a chatty build can print megabytes)."""
    while chunk := await stream.read(_READ_CHUNK):
        buf += chunk
        if len(buf) > limit:
            del buf[: len(buf) - limit]


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    # The child leads its own session, so its pid is the group id; ESRCH means all are gone.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


async def _terminate(proc: asyncio.subprocess.Process, tasks: list[asyncio.Future[Any]]) -> None:
    """SIGTERM the group; SIGKILL whatever is left after the grace period."""
    _signal_group(proc.pid, signal.SIGTERM)
    await asyncio.wait(tasks, timeout=KILL_GRACE_S)
    # Also when the leader is gone: members that closed their output may linger.
    _signal_group(proc.pid, signal.SIGKILL)
    await _reap(proc, tasks)


async def _reap(proc: asyncio.subprocess.Process, tasks: list[asyncio.Future[Any]]) -> None:
    """Wait for the killed group; if our pipes stay open, close our ends."""
    _, pending = await asyncio.wait(tasks, timeout=DRAIN_S)
    if pending:
        # A process that left the group (setsid) still holds the pipes. Process has no
        # public close(); closing its transport closes our pipe ends, which ends the readers
        # and lets wait() resolve once the (killed) child is reaped.
        transport = getattr(proc, "_transport", None)
        if transport is not None:
            transport.close()
        await asyncio.wait(tasks, timeout=DRAIN_S)
