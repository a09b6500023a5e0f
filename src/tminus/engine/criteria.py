"""The success criteria scoreboard: each criterion met, not met, or without data."""

from __future__ import annotations

from tminus.core.records import record
from tminus.core.series import SeriesValue, describe, judge_series, reduce_series, worst
from tminus.engine.history import MetricSeries
from tminus.engine.metrics import Poll
from tminus.engine.state import SessionState
from tminus.plan.model import Plan, SuccessCriterion

CRITERION_INTERVAL = 30.0  # seconds: day-long windows move slowly


def criterion_poll_id(crit: SuccessCriterion) -> str:
    return f"criterion:{crit.id}"


def criterion_polls(plan: Plan) -> list[Poll]:
    """Criteria with a query of their own are polled like metrics, but not recorded."""
    return [
        Poll(
            criterion_poll_id(c),
            c.query,
            CRITERION_INTERVAL,
            record=False,
            series=c.series,
            ok=c.target,
        )
        for c in plan.success_criteria
        if c.query
    ]


@record(frozen=True)
class Score:
    """A success criterion's status now."""

    criterion: SuccessCriterion
    status: str  # met, not_met, no_data, error, waiting, confirmed, unconfirmed
    value: float | None = None
    detail: str = ""


def score(
    crit: SuccessCriterion,
    series: dict[str, MetricSeries],
    state: SessionState,
    plan_metrics: dict[str, str] | None = None,
) -> Score:
    plan_metrics = plan_metrics or {}
    if crit.manual:
        stamp = state.criteria.get(crit.id)
        if stamp is not None:
            return Score(crit, "confirmed", detail=f"{stamp.actor or ''}: {stamp.note}".strip(": "))
        return Score(crit, "unconfirmed", detail="confirmed by a person")
    key = crit.metric if crit.metric else criterion_poll_id(crit)
    s = series.get(key)
    if s is None or s.state == "waiting":
        return Score(crit, "waiting")
    if s.state == "error":
        return Score(crit, "error", detail=s.error)
    if s.state == "no_data" or s.last_value is None:
        return Score(crit, "no_data", detail="the query returned no data")
    assert crit.target is not None
    # every series judged: met only when each one meets the target; NaN/±Inf are not data
    how = crit.series if crit.query else _metric_series(crit, plan_metrics)
    judged = reduce_series(s.latest, how) if s.latest else [SeriesValue((), s.last_value)]
    verdict = judge_series(crit.target, judged)
    if verdict.errors:
        return Score(crit, "error", detail=f"cannot evaluate {crit.target}: {verdict.errors[0][1]}")
    shown = worst(judged, verdict)
    detail = _where(shown, judged)
    if verdict.failing:
        return Score(crit, "not_met", value=shown.value, detail=detail)
    if verdict.no_number or not verdict.passing:
        return Score(crit, "no_data", detail="the query returned no number (NaN or ±Inf)")
    return Score(crit, "met", value=shown.value, detail=detail)


def _metric_series(crit: SuccessCriterion, metrics: dict[str, str]) -> str:
    return metrics.get(crit.metric or "", "each")


def _where(shown: SeriesValue, judged: list[SeriesValue]) -> str:
    if len(judged) < 2:
        return ""
    return f"{describe(shown.labels)}, worst of {len(judged)} series"


def scoreboard(plan: Plan, series: dict[str, MetricSeries], state: SessionState) -> list[Score]:
    how: dict[str, str] = {m.id: m.series for m in plan.metrics}
    return [score(c, series, state, how) for c in plan.success_criteria]
