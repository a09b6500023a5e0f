"""Prometheus checks: one PromQL number judged by a condition, with a guard against judging
a ratio computed from too few requests."""

from __future__ import annotations

import asyncio
import math
import time
from typing import Any

from tminus.backends.base import BackendError, QueryResult
from tminus.checks.base import CheckContext, backend_error_result, error_result, judge
from tminus.core.results import CheckResult, Outcome
from tminus.plan.checkspecs import PrometheusCheck


def _budget(total: float) -> float:
    # Give up before the runner's deadline, so the check reports the backend's own message.
    return max(total - min(0.2, total * 0.1), 0.001)


def _inconclusive(
    message: str, started: float, value: Any = None, values: dict[str, Any] | None = None
) -> CheckResult:
    return CheckResult(
        outcome=Outcome.INCONCLUSIVE,
        message=message,
        value=value,
        values=values or {},
        duration_ms=(time.monotonic() - started) * 1000,
    )


async def run_prometheus(spec: PrometheusCheck, ctx: CheckContext) -> CheckResult:
    started = time.monotonic()
    metrics = ctx.backends.metrics
    if metrics is None:
        return error_result("no Prometheus backend configured", started)
    timeout = _budget(ctx.timeout)
    queries = [spec.query]
    if spec.min_samples_query:
        queries.append(spec.min_samples_query)
    # Both at once; gather waits for both, so no query is left running after an error.
    answers = await asyncio.gather(
        *(metrics.query(q, timeout=timeout) for q in queries), return_exceptions=True
    )
    for answer in answers:
        if isinstance(answer, BackendError):
            return backend_error_result(answer, started)
        if isinstance(answer, BaseException):
            raise answer
    main = answers[0]
    assert isinstance(main, QueryResult)
    values: dict[str, Any] = {"value": main.value}

    if spec.min_samples_query:
        guard = answers[1]
        assert isinstance(guard, QueryResult)
        samples = guard.value
        values["samples"] = samples
        # NaN compares false with everything: treat it as no samples, never as enough
        if samples is None or math.isnan(samples) or samples < spec.min_samples:
            count = 0.0 if samples is None or math.isnan(samples) else samples
            return _inconclusive(
                f"only {count:g} samples (min {spec.min_samples:g})",
                started,
                value=main.value,
                values=values,
            )

    if main.value is None:
        return _inconclusive("no data: query returned an empty result", started, values=values)
    if math.isnan(main.value):
        # Typically 0/0, a ratio over no traffic: judging it would be a false alarm or pass
        return _inconclusive(
            "no data: query returned NaN (a ratio over no traffic?)", started, values=values
        )
    message = f"{main.value:.6g}"
    if main.series > 1:
        message += f" (first of {main.series} series)"
    if "samples" in values:
        message += f"; {values['samples']:g} samples"
    return judge(spec, values, value=main.value, message=message, started=started)
