"""The Metrics tab: a panel per metric, then the success criteria."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Grid, Vertical, VerticalScroll
from textual.widgets import Static

from tminus.engine.console import ConsoleEngine
from tminus.ui.widgets.metric_panel import MetricPanel
from tminus.ui.widgets.scoreboard import Scoreboard

STALENESS_EVERY = 1.0  # seconds: 'stale 45s' counts up without a poll


class MetricsView(VerticalScroll):
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

    def on_mount(self) -> None:
        if self.engine.poller is not None:
            self.set_interval(STALENESS_EVERY, self._tick)

    def _tick(self) -> None:
        """Staleness words age without a poll; each child redraws only if its text did."""
        for panel in self.panels.values():
            if panel.is_on_screen:
                panel.refresh_metric()
        if self.scoreboard.is_on_screen:
            self.scoreboard.refresh_scores()
