"""Prometheus checks: every series of a PromQL answer judged by a condition (or an alert
expression that fails while it returns any series), with a guard against judging a ratio
computed from too few requests."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Sequence
from typing import Any

from tminus.backends.base import BackendError, QueryResult
from tminus.checks.base import CheckContext, backend_error_result, error_result
from tminus.core.results import CheckResult, Outcome
from tminus.core.series import SeriesValue, describe, judge_series, reduce_series, worst
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
    queries = [spec.alert if spec.alert is not None else spec.query or ""]
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
    values: dict[str, Any] = {"value": main.value, "series": main.series}

    if spec.min_samples_query:
        guard = answers[1]
        assert isinstance(guard, QueryResult)
        samples = guard.value
        values["samples"] = samples
        # NaN and ±Inf compare as nothing useful: treat them as no samples, never as enough
        if samples is None or not math.isfinite(samples) or samples < spec.min_samples:
            count = 0.0 if samples is None or not math.isfinite(samples) else samples
            return _inconclusive(
                f"only {count:g} samples (min {spec.min_samples:g})",
                started,
                value=main.value,
                values=values,
            )

    if spec.alert is not None:
        return _alert(spec, main, values, started)
    series = reduce_series(main.samples, spec.series)
    if not series:
        return _inconclusive("no data: query returned an empty result", started, values=values)
    assert spec.condition is not None
    verdict = judge_series(spec.condition, series, _extra(values))
    shown = worst(series, verdict)
    values["value"] = shown.value
    values["labels"] = dict(shown.labels)
    values["per_series"] = {s.key or "{}": s.value for s in series}
    suffix = f"; {values['samples']:g} samples" if "samples" in values else ""
    if verdict.failing:
        bad = verdict.failing
        message = _named(bad, series) + f"; expected {spec.condition.text}" + suffix
        return _result(Outcome.FAIL, message, shown.value, values, started)
    if verdict.errors:
        s, why = verdict.errors[0]
        return _result(
            Outcome.ERROR, f"cannot evaluate {spec.condition}: {why}", s.value, values, started
        )
    if verdict.no_number:
        # Typically 0/0, a ratio over no traffic: judging it would be a false alarm or pass
        message = "no number: " + _named(verdict.no_number, series) + " (a ratio over no traffic?)"
        return _inconclusive(message, started, value=shown.value, values=values)
    message = _named((shown,), series) + suffix
    if len(series) > 1:
        message = f"all {len(series)} series pass; " + message
    # warn_if: judged per series too, warning when any series meets it
    if spec.warn_if is not None:
        warned = judge_series(spec.warn_if, series, _extra(values))
        if warned.passing:
            w = worst(list(warned.passing))
            values["value"], values["labels"] = w.value, dict(w.labels)
            return _result(
                Outcome.WARN,
                _named((w,), series) + f"; warn: {spec.warn_if.text}" + suffix,
                w.value,
                values,
                started,
            )
    return _result(Outcome.PASS, message, shown.value, values, started)


def _alert(
    spec: PrometheusCheck, main: QueryResult, values: dict[str, Any], started: float
) -> CheckResult:
    """An alert expression: healthy while it returns nothing, failing for every series it does."""
    if not main.samples:
        return _result(Outcome.PASS, "alert expression returns no series", None, values, started)
    series = list(main.samples)
    shown = series[0]
    values["value"], values["labels"] = shown.value, dict(shown.labels)
    values["per_series"] = {s.key or "{}": s.value for s in series}
    message = f"alert active for {_named(series, series)}"
    return _result(Outcome.FAIL, message, shown.value, values, started)


def _extra(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k == "samples"}


def _named(decided: Sequence[SeriesValue], every: Sequence[SeriesValue]) -> str:
    """`{region="eu"} 0.9` for the series that decided, with a count of the others."""
    shown = ", ".join(f"{_label(s)}{_num(s.value)}" for s in decided[:3])
    if len(decided) > 3:
        shown += f" and {len(decided) - 3} more"
    others = len(every) - len(decided)
    if len(every) > 1 and others > 0:
        shown += f" (of {len(every)} series)"
    return shown


def _label(s: SeriesValue) -> str:
    return f"{describe(s.labels)} " if s.labels else ""


def _num(v: float) -> str:
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return f"{v:.6g}"


def _result(
    outcome: Outcome, message: str, value: Any, values: dict[str, Any], started: float
) -> CheckResult:
    return CheckResult(
        outcome=outcome,
        message=message,
        value=value,
        values=values,
        duration_ms=(time.monotonic() - started) * 1000,
    )
