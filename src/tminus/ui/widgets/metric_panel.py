"""One metric on the Metrics tab: title, current value, state, and a sparkline.

Its MetricsView hands it its own metric's polls (one subscription for all panels: a
signal wakes every subscriber on every poll, 10,000 wake-ups a cycle with 100 metrics),
and it redraws only while on screen: a panel scrolled away or on a hidden tab catches up
when it is shown.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.message import Message

from tminus.engine.console import ConsoleEngine
from tminus.engine.history import MetricSeries
from tminus.engine.metrics import is_stale
from tminus.plan.model import Metric
from tminus.ui.keys import METRIC_PANEL_BINDINGS
from tminus.ui.widgets.format import format_metric, scaled_sparkline, time_columns
from tminus.ui.widgets.in_view import in_view
from tminus.ui.widgets.live_text import LiveText
from tminus.ui.widgets.metric_state import STATE_STYLE, describe_state, resolve

HISTORY = 900.0  # seconds a panel's sparkline spans (the backfill's 15 minutes)


class MetricPanel(Vertical, can_focus=True):
    """The border lives on this container and each line is its own LiveText, so a poll
    that changes nothing writes nothing and one that does repaints a line."""

    BINDINGS: ClassVar[list[BindingType]] = [*METRIC_PANEL_BINDINGS]
    DEFAULT_CSS = """
    MetricPanel { height: 4; border: round $panel; padding: 0 1; }
    MetricPanel:focus { border: round $primary; }
    MetricPanel > LiveText { height: 1; }
    """

    class Open(Message):
        def __init__(self, metric_id: str) -> None:
            super().__init__()
            self.metric_id = metric_id

    def __init__(self, engine: ConsoleEngine, metric: Metric, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.engine = engine
        self.metric = metric
        self._head = LiveText(classes="metric-head")
        self._spark = LiveText(classes="metric-spark")
        self._spark_series: MetricSeries | None = None  # the series drawn (replay swaps them)
        self._spark_for: tuple[int, int] | None = None  # its (version, width) drawn
        self._spark_line = ""
        self._drawn: tuple[object, ...] | None = None  # what the lines were drawn from

    def compose(self) -> ComposeResult:
        yield self._head
        yield self._spark

    def on_mount(self) -> None:
        self.refresh_metric()

    def on_show(self) -> None:
        if in_view(self):  # the others catch up when scrolled to
            self.refresh_metric()

    def on_resize(self) -> None:
        self._drawn = None
        self._head.forget()
        self._spark.forget()
        if in_view(self):
            self.refresh_metric()

    def metric_polled(self) -> None:
        if in_view(self):
            self.refresh_metric()

    def action_open_chart(self) -> None:
        self.post_message(self.Open(self.metric.id))

    def on_click(self) -> None:
        self.post_message(self.Open(self.metric.id))

    def _spark_text(
        self, points: Iterable[tuple[float, float]], width: int, head: float | None
    ) -> str:
        """Low and high of the scale, then the sparkline on a scrolling time grid."""
        values = time_columns(list(points), width, self._bucket(width))
        return scaled_sparkline(values, width, self.metric.unit, head)

    def _bucket(self, width: int) -> float:
        """Seconds per column: the poll interval, or more so the line spans HISTORY."""
        poller = self.engine.poller
        poll = poller.poll_of(self.metric.id) if poller else None
        interval = poll.interval if poll is not None else 5.0
        return max(interval, HISTORY / max(1, width))

    def _since(self, series: MetricSeries, width: int) -> float:
        newest = series.points[-1][0] if series.points else 0.0
        return newest - (width + 1) * self._bucket(width)

    def _width(self) -> int:
        """The content width, from the size the last layout gave: `size` asks the screen
        where the panel is, and after anything off screen changed that lays out every
        panel of the tab again."""
        return self.outer_size.width - self.styles.gutter.width

    def _drawn_from(self, series: MetricSeries) -> tuple[object, ...]:
        """Everything the two lines depend on, cheaply: the series (a replay swaps it), its
        version, a judging error, the seconds it has been stale, the width, the theme."""
        assert self.engine.poller is not None
        age = series.age()
        stale = is_stale(age, self.engine.poller.stale_after(self.metric.id))
        return (
            series,
            series.version,
            series.condition_error,
            f"{age:.0f}" if stale else None,
            self._width(),
            self.app.theme,
        )

    def refresh_metric(self) -> None:
        if self.engine.poller is None:
            return
        series = self.engine.poller.series[self.metric.id]
        # the ticker asks every second: nothing to do unless the series changed or its
        # staleness count moved ("stale 45s"), the usual case for a panel between polls
        drawn = self._drawn_from(series)
        if drawn == self._drawn:
            return
        self._drawn = drawn
        state, words = describe_state(self.engine, self.metric, series)
        width = max(8, self._width() - 4)
        style = resolve(self, STATE_STYLE.get(state, ""))
        value = format_metric(series.last_value, self.metric.unit) if state != "waiting" else "…"
        # drawn again only when a poll changed the points (the ticker asks every second):
        # only the points the line can show, of the day kept
        key = (series.version, width)
        if self._spark_series is not series or self._spark_for != key:
            self._spark_series, self._spark_for = series, key  # the object kept: no id reuse
            self._spark_line = self._spark_text(
                series.points.since(self._since(series, width)), width, series.last_value
            )
        spark = self._spark_line
        if state == "error":
            # the reason in the sparkline's room, as the strip does: on the head line it
            # was cut after "query error: query:", and the line below was empty
            head_words, reason = words.split(": ", 1) if ": " in words else ("error", words)
            words, spark = head_words, reason
        self._head.show(
            Text.assemble(
                (self.metric.title, "bold"),
                "  ",
                (value, f"bold {style}"),
                "  ",
                (words, style),
            ),
            key=(self.metric.title, value, words, style),
        )
        self._spark.show(Text(spark, style=style), key=(spark, style))
