"""Launch Day's compact metrics: a line per metric (at most MAX_LINES), or one summary
line on a small terminal, problems first. Its height never depends on what the metrics
say: a burst of query errors must not push the checklist off screen. `m` hides it.
It follows the metric polls itself and redraws only while on screen."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical

from tminus.engine.console import ConsoleEngine
from tminus.engine.history import MetricSeries
from tminus.plan.model import Metric
from tminus.ui.signals import signals
from tminus.ui.widgets.format import format_metric, scaled_sparkline, time_columns
from tminus.ui.widgets.in_view import in_view
from tminus.ui.widgets.live_text import LiveText
from tminus.ui.widgets.metric_state import STATE_STYLE, describe_state, resolve

COMPACT_BELOW = 32  # terminal rows
HISTORY = 900.0  # seconds a strip line's sparkline spans
MAX_LINES = 8  # a plan with many metrics: the Metrics tab has them all
STALENESS_EVERY = 1.0  # seconds: 'stale 45s' counts up without a poll


class MetricsStrip(Vertical):
    """Each line is its own LiveText, redrawn only when its text changed."""

    DEFAULT_CSS = """
    MetricsStrip { height: auto; max-height: 8; padding: 0 1; background: $surface; }
    MetricsStrip > LiveText { height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def __init__(self, engine: ConsoleEngine, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.engine = engine
        self._lines = [LiveText(classes="strip-line") for _ in engine.plan.metrics[:MAX_LINES]]
        self._packed_line = LiveText(classes="strip-packed")
        self._compact: bool | None = None
        self._pending = False

    def compose(self) -> ComposeResult:
        yield from self._lines
        yield self._packed_line

    def on_mount(self) -> None:
        self.refresh_metrics()
        signals(self).metric_signal.subscribe(self, self._on_metric, immediate=True)
        self._ticker = self.set_interval(STALENESS_EVERY, self._on_tick, pause=True)  # while shown

    def on_hide(self) -> None:
        self._ticker.pause()

    def on_show(self) -> None:
        self._ticker.resume()
        self.refresh_metrics()

    def on_resize(self) -> None:
        for line in (*self._lines, self._packed_line):
            line.forget()
        self.refresh_metrics()

    def _on_tick(self) -> None:
        if in_view(self):
            self.refresh_metrics()

    def _on_metric(self, metric_id: str) -> None:
        # polls come in bursts: one redraw after them, as a replaceable message would.
        # in_view, not is_on_screen: on a hidden tab that asks the screen, which lays out
        # every widget again if anything off screen refreshed since
        if not self._pending and in_view(self):
            self._pending = True
            self.call_after_refresh(self._redraw_pending)

    def _redraw_pending(self) -> None:
        self._pending = False
        self.refresh_metrics()

    def refresh_metrics(self) -> None:
        poller = self.engine.poller
        if poller is None:
            return
        width = self.size.width - 2
        compact = self.screen.size.height < COMPACT_BELOW
        if compact != self._compact:  # switching modes is the only layout change
            self._compact = compact
            for line in (*self._lines, self._packed_line):
                line.forget()
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
            self._packed_line.show(packed)
            return
        name_w = max(len(m.title) for m in self.engine.plan.metrics)
        rows = rows[: len(self._lines)]
        spark_w = max(0, width - name_w - 8 - 12 - 4)
        for line, (metric, series, state, words) in zip(self._lines, rows, strict=True):
            style = resolve(self, STATE_STYLE.get(state, ""))
            value = format_metric(series.last_value, metric.unit)
            values = time_columns(list(series.points), spark_w, HISTORY / max(1, spark_w))
            spark = scaled_sparkline(values, spark_w, metric.unit, series.last_value)
            if state == "error":  # the reason, in the sparkline's room, not cut at 12
                words, spark = words[: 12 + 1 + spark_w], ""
            line.show(
                Text.assemble(
                    (metric.title.ljust(name_w), "bold"),
                    " ",
                    (value.rjust(8), style),
                    " ",
                    (words.ljust(12) if state == "error" else words[:12].ljust(12), style),
                    " ",
                    (spark, style),
                ),
                key=(value, words, spark, style),
            )

    def _packed(self, rows: list[tuple[Metric, MetricSeries, str, str]], width: int) -> Text:
        """One line: how many are fine, then each metric that is not, worst first."""
        order = {"bad": 0, "error": 1, "stale": 2, "no_data": 3, "warn": 4}
        fine = sum(1 for _, _, state, _ in rows if state == "ok")
        out = Text()
        out.append(f"{fine}/{len(rows)} ok", style="bold")
        problems = sorted((r for r in rows if r[2] != "ok"), key=lambda r: order.get(r[2], 5))
        for n, (metric, series, state, _words) in enumerate(problems):
            style = resolve(self._packed_line, STATE_STYLE.get(state, ""))
            value = format_metric(series.last_value, metric.unit)
            shown = value if state in ("bad", "warn") else state.replace("_", " ")
            piece = f" · {metric.title} {shown}"
            more = len(problems) - n
            if len(out) + len(piece) + len(f" +{more} more") > width and more > 1:
                out.append(f" · +{more} more", style="dim")
                break
            out.append(" · ", style="dim")
            out.append(metric.title + " ", style="bold")
            out.append(shown, style=style)
        else:  # room left: the fine ones' values, as many as fit whole
            for metric, series, state, _words in rows:
                if state != "ok":
                    continue
                piece = f" · {metric.title} {format_metric(series.last_value, metric.unit)}"
                if len(out) + len(piece) > width:
                    break
                out.append(piece, style="dim")
        return out
