"""A metric's full chart: axes, the ok/warn threshold lines, a range switch, the query."""

from __future__ import annotations

import math
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Static

from tminus.engine.console import ConsoleEngine
from tminus.plan.model import Metric
from tminus.ui.keys import CHART_BINDINGS
from tminus.ui.markup import escape
from tminus.ui.widgets.format import format_metric
from tminus.ui.widgets.key_footer import KeyFooter
from tminus.ui.widgets.trigger_banner import TriggerBanner

RANGES = {"15m": 900, "1h": 3600, "6h": 21600, "24h": 86400}


def thresholds(metric: Metric) -> list[tuple[str, float]]:
    """Numbers in the ok/warn conditions, drawn as horizontal lines."""
    from tminus.core.conditions import Condition

    out = []
    for name, cond in (("ok", metric.ok), ("warn", metric.warn)):
        if isinstance(cond, Condition):
            for node in _literals(cond.ast):
                out.append((name, node))
    return out


def _literals(node: tuple[object, ...]) -> list[float]:
    if node[0] == "lit" and isinstance(node[1], int | float) and not isinstance(node[1], bool):
        return [float(node[1])]
    found: list[float] = []
    for child in node[1:]:
        if isinstance(child, tuple):
            found.extend(_literals(child))
    return found


def time_axis(span: float) -> tuple[float, str, list[tuple[float, str]]]:
    """How a chart of the last `span` seconds labels time: minutes up to an hour, hours
    beyond; ticks at round steps ("-15m", "-10m", "-5m", "now"), never "-1440"."""
    divisor, word, suffix = (60.0, "minutes", "m") if span <= 3600 else (3600.0, "hours", "h")
    length = span / divisor
    step = next((s for s in (1, 2, 5, 10, 15, 30, 60) if length / s <= 6), 120)
    ticks = []
    at = 0.0
    while at <= length + 1e-9:
        ticks.append((-at, "now" if at == 0 else f"-{at:g}{suffix}"))
        at += step
    return divisor, word, sorted(ticks)


class MetricDetailScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [*CHART_BINDINGS]
    HELP_TITLE = "a metric's chart"
    DEFAULT_CSS = """
    MetricDetailScreen #chart { height: 1fr; }
    MetricDetailScreen .meta { padding: 0 1; background: $surface; }
    """

    def __init__(self, engine: ConsoleEngine, metric: Metric) -> None:
        super().__init__()
        self.engine = engine
        self.metric = metric
        self.range = "15m"

    def compose(self) -> ComposeResult:
        from textual_plotext import PlotextPlot

        yield TriggerBanner(self.engine, id="trigger-banner")
        with Vertical():
            yield Static("", classes="meta", id="metric-meta")
            yield PlotextPlot(id="chart")
            yield Static(f"query: {escape(self.metric.query)}", classes="meta", id="metric-query")
        yield KeyFooter(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.load()

    def action_range(self, name: str) -> None:
        self.range = name
        self.load()

    def action_close(self) -> None:
        self.app.pop_screen()

    def load(self) -> None:
        # the engine's history (session log + live polls): a follower and the writer agree
        span = RANGES[self.range]
        end = self.engine.clock.now().timestamp()
        self.draw(self.engine.metric_history(self.metric.id, span), end - span, end)

    def draw(self, points: list[tuple[float, float]], start: float, end: float) -> None:
        from textual_plotext import PlotextPlot

        chart = self.query_one("#chart", PlotextPlot)
        plt = chart.plt
        plt.clear_data()
        plt.clear_figure()
        meta = self.query_one("#metric-meta", Static)
        unit = self.metric.unit
        scale = 100.0 if unit == "ratio" else (1000.0 if unit == "seconds" else 1.0)
        label = {"ratio": "%", "seconds": "ms"}.get(unit, unit if unit != "none" else "")
        drawn = [(t, v) for t, v in points if math.isfinite(v)]  # NaN, ±Inf: gaps
        if not drawn:
            last_text = f" (now {format_metric(points[-1][1], unit)})" if points else ""
            meta.update(
                f"[b]{escape(self.metric.title)}[/b] · last {self.range} · no data{last_text}"
            )
            chart.refresh()
            return
        divisor, word, ticks = time_axis(end - start)
        xs = [(t - end) / divisor for t, _ in drawn]  # before now, in the range's unit
        ys = [v * scale for _, v in drawn]
        plt.plot(xs, ys, marker="braille")
        plt.xlim(-(end - start) / divisor, 0)
        plt.xticks([v for v, _ in ticks], [text for _, text in ticks])
        for name, level in thresholds(self.metric):
            plt.hline(level * scale, "green" if name == "ok" else "orange")
        plt.xlabel(f"{word} before now")
        plt.ylabel(label)
        last = format_metric(points[-1][1], unit)
        meta.update(
            f"[b]{escape(self.metric.title)}[/b] · last {self.range} · now {last} · "
            f"{len(points)} points · 1-4 switch range · esc back"
        )
        chart.refresh()
