"""The Metrics tab: a panel per metric, then the success criteria."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Grid, Vertical, VerticalScroll
from textual.widgets import Static

from tminus.engine.console import ConsoleEngine
from tminus.ui.keys import METRICS_VIEW_BINDINGS
from tminus.ui.signals import signals
from tminus.ui.widgets.in_view import in_view, in_view_of
from tminus.ui.widgets.metric_panel import MetricPanel
from tminus.ui.widgets.scoreboard import Scoreboard

STALENESS_EVERY = 1.0  # seconds: 'stale 45s' counts up without a poll


class MetricsView(VerticalScroll):
    """Keyboard first: the first panel has focus, arrows move between panels (and down
    from the last row to the scoreboard, which then scrolls), enter opens a chart."""

    BINDINGS: ClassVar[list[BindingType]] = [*METRICS_VIEW_BINDINGS]
    DEFAULT_CSS = """
    MetricsView { height: 1fr; }
    MetricsView > Vertical { height: auto; }
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
        yield Static("enter: the metric's chart · arrows move between metrics", classes="hint")
        with Grid():
            yield from self.panels.values()
        with Vertical():
            yield self.scoreboard

    def focus_first(self) -> None:
        panels = list(self.panels.values())
        if panels and not any(p.has_focus for p in panels) and not self.scoreboard.has_focus:
            panels[0].focus()

    def action_move(self, dx: int, dy: int) -> None:
        panels = list(self.panels.values())
        if self.scoreboard.has_focus:
            if dy > 0:
                self.scroll_down()
            elif dy < 0 and self.scroll_y > self.scoreboard.region.y - self.region.y:
                self.scroll_up()
            elif panels:
                panels[-1].focus()
            return
        here = next((n for n, p in enumerate(panels) if p.has_focus), None)
        if here is None:
            self.focus_first()
            return
        columns = 1 if self.has_class("narrow") else 2
        there = here + dx + dy * columns
        if there >= len(panels) and dy > 0:
            self.scoreboard.focus()
        elif 0 <= there < len(panels):
            panels[there].focus()

    def on_mount(self) -> None:
        if self.engine.poller is not None:
            # off screen a tab costs nothing: the ticker runs only while shown
            self._ticker = self.set_interval(STALENESS_EVERY, self._tick, pause=True)
            # called at once, not posted: a posted call per poll costs a message and a
            # signature inspection, 20 a second with 100 metrics, and this only forwards
            signals(self).metric_signal.subscribe(self, self._on_metric, immediate=True)

    def on_show(self) -> None:
        if self.engine.poller is not None:
            self._ticker.resume()

    def on_hide(self) -> None:
        if self.engine.poller is not None:
            self._ticker.pause()

    def _on_metric(self, metric_id: str) -> None:
        """One subscription for every panel: the polled metric's panel alone is told."""
        panel = self.panels.get(metric_id)
        if panel is not None:
            panel.metric_polled()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if round(old_value) != round(new_value):  # panels scrolled into view catch up
            self.call_after_refresh(self._refresh_in_view)

    def _refresh_in_view(self) -> None:
        for panel in in_view_of(self, self.panels.values()):
            panel.refresh_metric()
        if in_view(self.scoreboard):  # scrolled to: it catches up too
            self.scoreboard.refresh_scores()

    def _tick(self) -> None:
        """Staleness words age without a poll; a panel in view looks again only if its
        series changed or its staleness count moved. The rest catch up when scrolled to."""
        self._refresh_in_view()
