"""What every check kind shares: the call signature, loading a kind's check function from
its spec, and condition evaluation."""

from __future__ import annotations

import importlib
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from tminus.backends.base import BackendError, Backends
from tminus.core.conditions import Condition, EvalError, MissingValue, NotANumber
from tminus.core.records import record
from tminus.core.results import CheckResult, Outcome, Part
from tminus.plan.checkspecs import CheckSpec


@record(frozen=True)
class CheckContext:
    """What a check runs with: the backends and its time budget."""

    backends: Backends
    timeout: float  # seconds for the whole check (the runner also enforces it)


CheckFn = Callable[[Any, CheckContext], Awaitable[CheckResult]]

_loaded: dict[str, CheckFn] = {}


def check_function(kind: str) -> CheckFn:
    """The check function a kind's spec names (`RUNS`), imported on first use."""
    fn = _loaded.get(kind)
    if fn is None:
        module, _, name = CheckSpec.KINDS[kind].RUNS.partition(":")
        fn = getattr(importlib.import_module(module), name)
        _loaded[kind] = fn
    return fn


def judge(
    spec: CheckSpec,
    values: Mapping[str, Any],
    *,
    value: Any = None,
    message: str = "",
    started: float | None = None,
    parts: tuple[Part, ...] = (),
    condition: Condition | None = None,
) -> CheckResult:
    """Apply the spec's condition (and warn_if) to the values a check observed."""
    cond = condition if condition is not None else spec.condition
    duration = (time.monotonic() - started) * 1000 if started is not None else 0.0
    outcome = Outcome.PASS
    detail = message
    try:
        if cond is not None and not cond.evaluate(values):
            outcome = Outcome.FAIL
            detail = f"{message}; expected {cond.text}" if message else f"expected {cond.text}"
        elif spec.warn_if is not None and spec.warn_if.evaluate(values):
            outcome = Outcome.WARN
            detail = (
                f"{message}; warn: {spec.warn_if.text}" if message else f"warn: {spec.warn_if.text}"
            )
    except MissingValue as exc:
        outcome, detail = Outcome.FAIL, f"{message}; {exc}" if message else str(exc)
    except NotANumber as exc:  # NaN or ±Inf is not data: neither a pass nor a fail
        outcome, detail = Outcome.INCONCLUSIVE, f"{message}; {exc}" if message else str(exc)
    except EvalError as exc:
        outcome, detail = Outcome.ERROR, f"cannot evaluate {cond}: {exc}"
    return CheckResult(
        outcome=outcome,
        message=detail,
        value=value,
        values=dict(values),
        parts=parts,
        duration_ms=duration,
    )


def error_result(message: str, started: float | None = None, **kw: Any) -> CheckResult:
    duration = (time.monotonic() - started) * 1000 if started is not None else 0.0
    return CheckResult(outcome=Outcome.ERROR, message=message, duration_ms=duration, **kw)


def backend_error_result(exc: BackendError, started: float | None = None) -> CheckResult:
    return error_result(f"{exc.kind}: {exc}", started)
