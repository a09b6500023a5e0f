"""Metric panels (Metrics tab), the compact metrics strip (Launch Day), the scoreboard.

They read the poller's bounded buffers and redraw only when a series changed or its
staleness text did, never on a timer alone.
"""

from __future__ import annotations

from rich.markup import escape
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Grid, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Static

from tminus.engine.console import ConsoleEngine
from tminus.engine.criteria import Score
from tminus.engine.history import MetricSeries
from tminus.engine.metrics import metric_state
from tminus.plan.model import Metric
from tminus.widgets.format import format_metric, resample, sparkline

STATE_STYLE = {
    "ok": "$success",
    "warn": "$warning",
    "bad": "$error",
    "error": "$error",
    "no_data": "$warning",
    "stale": "$warning",
    "waiting": "",
}
SCORE_SYMBOL = {
    "met": "✔",
    "not_met": "✘",
    "no_data": "?",
    "error": "!",
    "waiting": "·",
    "confirmed": "●",
    "unconfirmed": "○",
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
    if metric.ok is None:
        return state, ""  # no range to judge by: just the value
    return state, state


def resolve(widget: Static, style: str) -> str:
    if not style.startswith("$"):
        return style
    return widget.app.get_css_variables().get(style[1:], "")


class MetricPanel(Static, can_focus=True):
    """One metric: title, current value, state, and a sparkline of its history."""

    DEFAULT_CSS = """
    MetricPanel { height: 4; border: round $panel; padding: 0 1; }
    MetricPanel:focus { border: round $primary; }
    """

    class Open(Message):
        def __init__(self, metric_id: str) -> None:
            super().__init__()
            self.metric_id = metric_id

    def __init__(self, engine: ConsoleEngine, metric: Metric, **kw: object) -> None:
        super().__init__("", **kw)  # type: ignore[arg-type]
        self.engine = engine
        self.metric = metric
        self._shown: tuple[object, ...] = ()

    def on_mount(self) -> None:
        self.refresh_metric()

    def on_resize(self) -> None:
        self._shown = ()
        self.refresh_metric()

    def on_key(self, event: object) -> None:
        key = getattr(event, "key", "")
        if key == "enter":
            self.post_message(self.Open(self.metric.id))

    def on_click(self) -> None:
        self.post_message(self.Open(self.metric.id))

    def refresh_metric(self) -> None:
        if self.engine.poller is None:
            return
        series = self.engine.poller.series[self.metric.id]
        state, words = describe_state(self.engine, self.metric, series)
        width = max(8, self.size.width - 4)
        key = (series.version, words, width)
        if key == self._shown:
            return
        self._shown = key
        style = resolve(self, STATE_STYLE.get(state, ""))
        value = format_metric(series.last_value, self.metric.unit) if state != "waiting" else "…"
        head = Text.assemble(
            (self.metric.title, "bold"), "  ", (value, f"bold {style}"), "  ", (words, style)
        )
        spark = sparkline(resample(list(series.points), width), width)
        self.update(Text("\n").join([head, Text(spark, style=style)]))


COMPACT_BELOW = 32  # terminal rows


class MetricsStrip(Static):
    """Launch Day's compact view: a line per metric."""

    DEFAULT_CSS = "MetricsStrip { height: auto; padding: 0 1; background: $surface; }"

    def __init__(self, engine: ConsoleEngine, **kw: object) -> None:
        super().__init__("", **kw)  # type: ignore[arg-type]
        self.engine = engine
        self._shown: tuple[object, ...] = ()

    def on_mount(self) -> None:
        self.refresh_metrics()

    def on_resize(self) -> None:
        self._shown = ()
        self.refresh_metrics()

    def refresh_metrics(self) -> None:
        poller = self.engine.poller
        if poller is None:
            return
        width = self.size.width - 2
        compact = self.screen.size.height < COMPACT_BELOW
        name_w = max(len(m.title) for m in self.engine.plan.metrics)
        spark_w = max(0, width - name_w - 8 - 12 - 4)
        rows = []
        key: list[object] = [width]
        for metric in self.engine.plan.metrics:
            series = poller.series[metric.id]
            state, words = describe_state(self.engine, metric, series)
            key.extend((series.version, words))
            rows.append((metric, series, state, words))
        key.append(compact)
        if tuple(key) == self._shown:
            return
        self._shown = tuple(key)
        if compact:  # a small terminal: value and state only, packed, so the list keeps room
            self.update(self._packed(rows, width))
            return
        lines = []
        for metric, series, state, words in rows:
            style = resolve(self, STATE_STYLE.get(state, ""))
            value = format_metric(series.last_value, metric.unit)
            spark = sparkline(resample(list(series.points), spark_w), spark_w)
            lines.append(
                Text.assemble(
                    (metric.title.ljust(name_w), "bold"),
                    " ",
                    (value.rjust(8), style),
                    " ",
                    (words[:12].ljust(12), style),
                    " ",
                    (spark, style),
                )
            )
        self.update(Text("\n").join(lines))

    def _packed(self, rows: list[tuple[Metric, MetricSeries, str, str]], width: int) -> Text:
        out = Text()
        used = 0
        for metric, series, state, words in rows:
            style = resolve(self, STATE_STYLE.get(state, ""))
            value = format_metric(series.last_value, metric.unit)
            shown = value if state in ("ok", "warn", "bad", "waiting") else words
            piece = f"{metric.title} {shown}"
            if used and used + len(piece) + 3 > width:
                out.append("\n")
                used = 0
            elif used:
                out.append(" · ", style="dim")
                used += 3
            out.append(metric.title + " ", style="bold")
            out.append(shown, style=style)
            used += len(piece)
        return out


class Scoreboard(Static):
    DEFAULT_CSS = "Scoreboard { height: auto; padding: 0 1; }"

    def __init__(self, engine: ConsoleEngine, **kw: object) -> None:
        super().__init__("", **kw)  # type: ignore[arg-type]
        self.engine = engine
        self._text = ""

    def on_mount(self) -> None:
        self.refresh_scores()

    def refresh_scores(self) -> None:
        scores = self.engine.scoreboard()
        met = sum(1 for s in scores if s.status in ("met", "confirmed"))
        lines = [f"[b]Success criteria[/b] · {met}/{len(scores)} met"]
        for s in scores:
            lines.append(self._line(s))
        text = "\n".join(lines)
        if text != self._text:
            self._text = text
            self.update(text)

    def _line(self, s: Score) -> str:
        crit = s.criterion
        target = crit.target.text if crit.target else "a person confirms"
        unit = "none"
        if crit.metric:
            unit = self.engine.plan.metric(crit.metric).unit
        elif crit.target is not None and "%" in crit.target.text:
            unit = "ratio"
        value = format_metric(s.value, unit) if s.value is not None else ""
        status = s.status.replace("_", " ")
        detail = f" · {escape(s.detail)}" if s.detail else ""
        return (
            f"  {SCORE_SYMBOL[s.status]} {escape(crit.title)} · target {escape(target)}"
            f" · {value} {status}{detail}"
        )


class MetricsView(VerticalScroll):
    """The Metrics tab: a panel per metric, then the success criteria."""

    DEFAULT_CSS = """
    MetricsView Grid { grid-size: 2; grid-gutter: 0 1; height: auto; }
    MetricsView.narrow Grid { grid-size: 1; }
    MetricsView .hint { color: $text-muted; padding: 0 1; }
    """

    def __init__(self, engine: ConsoleEngine, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.engine = engine
        self.panels = {
            m.id: MetricPanel(engine, m, id=f"metric-{m.id}") for m in engine.plan.metrics
        }
        self.scoreboard = Scoreboard(engine, id="scoreboard")

    def compose(self) -> ComposeResult:
        if self.engine.poller is None:
            yield Static("No metrics backend in this plan.", classes="hint")
            return
        yield Static("enter on a metric: its chart · tab moves between metrics", classes="hint")
        with Grid():
            yield from self.panels.values()
        with Vertical():
            yield self.scoreboard
