"""A metric's state in the commander's words ('stale 45s', 'no data') and its colour."""

from __future__ import annotations

from textual.widget import Widget

from tminus.engine.console import ConsoleEngine
from tminus.engine.history import MetricSeries
from tminus.engine.metrics import metric_state, shown_value
from tminus.plan.model import Metric
from tminus.ui.widgets.theme_style import theme_style

STATE_STYLE = {
    "ok": "$success",
    "warn": "$warning",
    "bad": "$error",
    "error": "$error",
    "no_data": "$warning",
    "stale": "$warning",
    "waiting": "",
}


def describe_state(engine: ConsoleEngine, metric: Metric, series: MetricSeries) -> tuple[str, str]:
    """(state, words): words are what the commander reads, e.g. 'stale 45s', 'no data'."""
    assert engine.poller is not None
    age = series.age()
    state = metric_state(metric, series, engine.poller.stale_after(metric.id), age)
    if state == "error":
        return state, f"query error: {series.error}"
    if state == "no_data":
        return state, "no data"
    if state == "stale":
        return state, f"stale {age:.0f}s" if age is not None else "stale"
    if state == "waiting":
        return state, "waiting for the first poll"
    if series.condition_error:  # judging failed at run time; polling goes on
        return "error", series.condition_error
    words = "" if metric.ok is None else state  # no range to judge by: just the value
    which = _which_series(metric, series)
    return state, f"{words} · {which}" if words and which else words or which


def _which_series(metric: Metric, series: MetricSeries) -> str:
    """'eu-west, worst of 3' when several series answer: the value shown is that one's."""
    if len(series.latest) < 2 or metric.series not in ("each", "worst"):
        return ""
    shown = shown_value(series.latest, metric.series, metric.ok)
    name = "/".join(v for k, v in shown.labels if k != "__name__") or "{}"
    return f"{name}, worst of {len(series.latest)}"


def resolve(widget: Widget, style: str) -> str:
    return theme_style(widget.app, style)
