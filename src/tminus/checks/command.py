"""Command checks: run a local program (a smoke test, a migration status) and judge its exit
code and output."""

from __future__ import annotations

import dataclasses
import signal
import time
from typing import Any

from tminus.backends.base import BackendError
from tminus.checks.base import (
    CheckContext,
    backend_error_result,
    error_result,
    judge,
)
from tminus.core.redact import secret_from_env
from tminus.core.results import CheckResult
from tminus.plan.checkspecs import CommandCheck

OUTPUT_LINES = 20  # of stdout and stderr together, kept with the result
OUTPUT_CHARS = 2000


def _budget(total: float) -> float:
    # Time out a little before the runner's deadline, so the check reports its own message
    # (and has killed the process group) rather than being cancelled.
    return max(total - min(0.2, total * 0.1), 0.001)


def tail_lines(stdout: str, stderr: str) -> str:
    """The last lines a person needs to see why a command failed: stdout, then stderr."""
    text = "\n".join(s.rstrip("\n") for s in (stdout, stderr) if s.strip())
    lines = text.splitlines()[-OUTPUT_LINES:]
    return "\n".join(lines)[-OUTPUT_CHARS:]


def _exit_text(code: int | None) -> str:
    if code is not None and code < 0:  # asyncio reports death by signal N as -N
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit {code}"


async def run_command(spec: CommandCheck, ctx: CheckContext) -> CheckResult:
    started = time.monotonic()
    env = dict(spec.env)
    for child_var, our_var in spec.env_from.items():
        value = secret_from_env(ctx.backends.env, our_var)
        if value is None:
            return error_result(
                f"environment variable {our_var} is not set (needed for {child_var})", started
            )
        env[child_var] = value
    try:
        out = await ctx.backends.commands.run(
            spec.argv or None,
            command=spec.command,
            shell=spec.shell,
            cwd=spec.cwd,
            env=env,
            timeout=_budget(ctx.timeout),
            output_limit=spec.output_limit,
        )
    except BackendError as exc:
        return backend_error_result(exc, started)
    output = tail_lines(out.stdout, out.stderr)
    if out.timed_out:
        return error_result(
            f"timed out after {ctx.timeout:g}s; process group killed", started, output=output
        )
    values: dict[str, Any] = {
        "exit_code": out.exit_code,
        "stdout": out.stdout,
        "stderr": out.stderr,
    }
    message = f"{_exit_text(out.exit_code)} in {out.duration:.1f}s"
    result = judge(spec, values, value=out.exit_code, message=message, started=started)
    return dataclasses.replace(result, output=output)
