"""TCP checks: does the port accept a connection, and how fast."""

from __future__ import annotations

import time
from typing import Any

from tminus.backends.base import BackendError
from tminus.checks.base import CheckContext, backend_error_result, judge
from tminus.core.results import CheckResult, Outcome
from tminus.core.values import format_check_value
from tminus.plan.checkspecs import TcpCheck


def _budget(total: float) -> float:
    # Give up before the runner's deadline: a timeout here is a failed check, while the
    # runner cancelling the check would report an error instead.
    return max(total - min(0.2, total * 0.1), 0.001)


async def run_tcp(spec: TcpCheck, ctx: CheckContext) -> CheckResult:
    started = time.monotonic()
    try:
        seconds = await ctx.backends.tcp.connect(spec.host, spec.port, timeout=_budget(ctx.timeout))
    except BackendError as exc:
        # A port that refuses or never answers is what this check looks for: a failure.
        # Anything else (a host name that does not resolve) means the check is wrong.
        if exc.kind == "unreachable":
            message = str(exc)
        elif exc.kind == "timeout":
            message = f"no connection to {spec.host}:{spec.port} within {ctx.timeout:g}s"
        else:
            return backend_error_result(exc, started)
        return CheckResult(
            outcome=Outcome.FAIL,
            message=message,
            duration_ms=(time.monotonic() - started) * 1000,
        )
    values: dict[str, Any] = {"connect_time": seconds}
    seconds = round(seconds, 4)  # the logged value; the message reads the same number
    message = f"connected in {format_check_value('tcp', seconds)}"
    return judge(spec, values, value=seconds, message=message, started=started)
