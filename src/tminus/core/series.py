"""Series: one labelled number of a query's answer, and how several are judged.

A query that returns several series is judged per series: a verdict passes only when
every series passes, and names the series that decided it. A plan may reduce the series
to one number first (`series = "sum"` and so on). NaN and ±Inf are not data: a series
holding one is neither a pass nor a fail.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import field
from typing import Any, Literal, TypeGuard

from tminus.core.conditions import Condition, EvalError
from tminus.core.records import record

Labels = tuple[tuple[str, str], ...]  # sorted (name, value) pairs
Reducer = Literal["each", "worst", "sum", "min", "max", "avg", "count"]
REDUCERS: tuple[str, ...] = ("each", "worst", "sum", "min", "max", "avg", "count")


def is_data(value: float | None) -> TypeGuard[float]:
    """A number a range can judge: present and finite (NaN and ±Inf, a PromQL division
    by zero, are not data)."""
    return value is not None and math.isfinite(value)


def labels_of(mapping: Mapping[str, str]) -> Labels:
    return tuple(sorted((str(k), str(v)) for k, v in mapping.items()))


def series_key(labels: Labels) -> str:
    """A stable text key for one series: `region="eu",job="web"` ('' for no labels)."""
    return ",".join(f'{k}="{v}"' for k, v in labels if k != "__name__")


def describe(labels: Labels) -> str:
    return "{" + series_key(labels) + "}" if labels else "{}"


@record(frozen=True)
class SeriesValue:
    """One series of a query's answer: its labels and value."""

    labels: Labels
    value: float

    @property
    def key(self) -> str:
        return series_key(self.labels)

    @property
    def finite(self) -> bool:
        return is_data(self.value)


def reduce_series(series: Sequence[SeriesValue], how: str) -> list[SeriesValue]:
    """`each` and `worst` keep every series; the others fold them into one, without labels.

    A non-finite member makes the folded number non-finite (NaN): a sum over an unknown is
    unknown. `count` counts series, so it is 0 for an empty answer, never missing.
    """
    if how in ("each", "worst"):
        return list(series)
    if how == "count":
        return [SeriesValue((), float(len(series)))]
    if not series:
        return []
    values = [s.value for s in series]
    if not all(math.isfinite(v) for v in values):
        return [SeriesValue((), math.nan)]
    folded = {
        "sum": math.fsum(values),
        "min": min(values),
        "max": max(values),
        "avg": math.fsum(values) / len(values),
    }[how]
    return [SeriesValue((), folded)]


@record(frozen=True)
class SeriesVerdict:
    """How each series fared against a condition."""

    failing: tuple[SeriesValue, ...] = ()
    passing: tuple[SeriesValue, ...] = ()
    no_number: tuple[SeriesValue, ...] = ()  # NaN or ±Inf: not data
    errors: tuple[tuple[SeriesValue, str], ...] = ()  # the condition could not be evaluated
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.failing or self.passing or self.no_number or self.errors)

    @property
    def passed(self) -> bool:
        """Only when there was data and every series passed."""
        return bool(self.passing) and not (self.failing or self.no_number or self.errors)


def judge_series(
    condition: Condition, series: Iterable[SeriesValue], extra: Mapping[str, Any] | None = None
) -> SeriesVerdict:
    """Evaluate `condition` for each series, with `value` bound to that series' number."""
    failing: list[SeriesValue] = []
    passing: list[SeriesValue] = []
    no_number: list[SeriesValue] = []
    errors: list[tuple[SeriesValue, str]] = []
    for s in series:
        if not s.finite:
            no_number.append(s)
            continue
        values = dict(extra or {})
        values["value"] = s.value
        values["labels"] = dict(s.labels)
        try:
            ok = condition.evaluate(values)
        except EvalError as exc:
            errors.append((s, str(exc)))
            continue
        (passing if ok else failing).append(s)
    return SeriesVerdict(tuple(failing), tuple(passing), tuple(no_number), tuple(errors))


def worst(series: Sequence[SeriesValue], verdict: SeriesVerdict | None = None) -> SeriesValue:
    """The series to show first: a failing one, else one without a number, else the largest."""
    if verdict is not None:
        for group in (verdict.failing, verdict.no_number):
            if group:
                return max(group, key=lambda s: _order(s.value))
    return max(series, key=lambda s: _order(s.value))


def _order(v: float) -> float:
    return math.inf if math.isnan(v) else v
