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
from textual.widget import Widget
from textual.widgets import Static

from tminus.engine.console import ConsoleEngine
from tminus.engine.criteria import Score
from tminus.engine.history import MetricSeries
from tminus.engine.metrics import metric_state, shown_value
from tminus.plan.model import Metric
from tminus.ui.widgets.format import format_metric, resample, sparkline
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


class MetricPanel(Vertical, can_focus=True):
    """One metric: title, current value, state, and a sparkline of its history.

    The border lives on this container and each line is its own Static, updated without a
    layout pass and only when its text changed: a poll that changes nothing writes nothing.
    """

    DEFAULT_CSS = """
    MetricPanel { height: 4; border: round $panel; padding: 0 1; }
    MetricPanel:focus { border: round $primary; }
    MetricPanel > Static { height: 1; }
    """

    class Open(Message):
        def __init__(self, metric_id: str) -> None:
            super().__init__()
            self.metric_id = metric_id

    def __init__(self, engine: ConsoleEngine, metric: Metric, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.engine = engine
        self.metric = metric
        self._head = Static("", classes="metric-head")
        self._spark = Static("", classes="metric-spark")
        self._shown: dict[str, object] = {}

    def compose(self) -> ComposeResult:
        yield self._head
        yield self._spark

    def on_mount(self) -> None:
        self.refresh_metric()

    def on_resize(self) -> None:
        self._shown.clear()
        self.refresh_metric()

    def on_key(self, event: object) -> None:
        if getattr(event, "key", "") == "enter":
            self.post_message(self.Open(self.metric.id))

    def on_click(self) -> None:
        self.post_message(self.Open(self.metric.id))

    def refresh_metric(self) -> None:
        if self.engine.poller is None:
            return
        series = self.engine.poller.series[self.metric.id]
        state, words = describe_state(self.engine, self.metric, series)
        width = max(8, self.size.width - 4)
        style = resolve(self, STATE_STYLE.get(state, ""))
        value = format_metric(series.last_value, self.metric.unit) if state != "waiting" else "…"
        head = (self.metric.title, value, words, style)
        spark = (sparkline(resample(list(series.points), width), width), style)
        if self._shown.get("head") != head:
            self._shown["head"] = head
            self._head.update(
                Text.assemble(
                    (self.metric.title, "bold"),
                    "  ",
                    (value, f"bold {style}"),
                    "  ",
                    (words, style),
                ),
                layout=False,
            )
        if self._shown.get("spark") != spark:
            self._shown["spark"] = spark
            self._spark.update(Text(spark[0], style=style), layout=False)


COMPACT_BELOW = 32  # terminal rows


class MetricsStrip(Vertical):
    """Launch Day's compact view: a line per metric, each its own Static, redrawn only when
    its text changed. On a small terminal the values are packed into a few lines."""

    DEFAULT_CSS = """
    MetricsStrip { height: auto; padding: 0 1; background: $surface; }
    MetricsStrip > Static { height: auto; }
    """

    def __init__(self, engine: ConsoleEngine, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.engine = engine
        self._lines = [Static("", classes="strip-line") for _ in engine.plan.metrics]
        self._packed_line = Static("", classes="strip-packed")
        self._shown: dict[int, object] = {}
        self._compact: bool | None = None

    def compose(self) -> ComposeResult:
        yield from self._lines
        yield self._packed_line

    def on_mount(self) -> None:
        self.refresh_metrics()

    def on_resize(self) -> None:
        self._shown.clear()
        self.refresh_metrics()

    def refresh_metrics(self) -> None:
        poller = self.engine.poller
        if poller is None:
            return
        width = self.size.width - 2
        compact = self.screen.size.height < COMPACT_BELOW
        if compact != self._compact:  # switching modes is the only layout change
            self._compact = compact
            self._shown.clear()
            for line in self._lines:
                line.display = not compact
            self._packed_line.display = compact
        rows = []
        for metric in self.engine.plan.metrics:
            series = poller.series[metric.id]
            state, words = describe_state(self.engine, metric, series)
            rows.append((metric, series, state, words))
        if compact:
            packed = self._packed(rows, width)
            if self._shown.get(-1) != packed.plain:
                relayout = str(self._shown.get(-1, "")).count("\n") != packed.plain.count("\n")
                self._shown[-1] = packed.plain
                self._packed_line.update(packed, layout=relayout)
            return
        name_w = max(len(m.title) for m in self.engine.plan.metrics)
        spark_w = max(0, width - name_w - 8 - 12 - 4)
        for i, (metric, series, state, words) in enumerate(rows):
            style = resolve(self, STATE_STYLE.get(state, ""))
            value = format_metric(series.last_value, metric.unit)
            spark = sparkline(resample(list(series.points), spark_w), spark_w)
            key = (value, words, spark, style)
            if self._shown.get(i) == key:
                continue
            first = i not in self._shown
            self._shown[i] = key
            self._lines[i].update(
                Text.assemble(
                    (metric.title.ljust(name_w), "bold"),
                    " ",
                    (value.rjust(8), style),
                    " ",
                    (words[:12].ljust(12), style),
                    " ",
                    (spark, style),
                ),
                layout=first,
            )

    def _packed(self, rows: list[tuple[Metric, MetricSeries, str, str]], width: int) -> Text:
        out = Text()
        used = 0
        for metric, series, state, words in rows:
            style = resolve(self._packed_line, STATE_STYLE.get(state, ""))
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
            relayout = not self._text  # the line count is fixed after the first draw
            self._text = text
            self.update(text, layout=relayout)

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
