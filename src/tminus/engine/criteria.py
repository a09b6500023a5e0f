"""The success criteria scoreboard: each criterion met, not met, or without data."""

from __future__ import annotations

import math
from dataclasses import dataclass

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
        Poll(criterion_poll_id(c), c.query, CRITERION_INTERVAL, record=False)
        for c in plan.success_criteria
        if c.query
    ]


@dataclass(frozen=True)
class Score:
    criterion: SuccessCriterion
    status: str  # met, not_met, no_data, error, waiting, confirmed, unconfirmed
    value: float | None = None
    detail: str = ""


def score(crit: SuccessCriterion, series: dict[str, MetricSeries], state: SessionState) -> Score:
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
    if s.state == "no_data" or s.last_value is None or math.isnan(s.last_value):
        return Score(crit, "no_data", detail="the query returned no data")
    assert crit.target is not None
    met = crit.target.evaluate({"value": s.last_value})
    return Score(crit, "met" if met else "not_met", value=s.last_value)


def scoreboard(plan: Plan, series: dict[str, MetricSeries], state: SessionState) -> list[Score]:
    return [score(c, series, state) for c in plan.success_criteria]
