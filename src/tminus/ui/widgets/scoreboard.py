"""The success criteria and how each stands: measured, confirmed, or waiting."""

from __future__ import annotations

from tminus.engine.console import ConsoleEngine
from tminus.engine.criteria import Score
from tminus.engine.session import Event
from tminus.ui.markup import escape
from tminus.ui.signals import signals
from tminus.ui.widgets.format import format_metric
from tminus.ui.widgets.in_view import in_view
from tminus.ui.widgets.live_text import LiveText

SCORE_SYMBOL = {
    "met": "✔",
    "not_met": "✘",
    "no_data": "?",
    "error": "!",
    "waiting": "·",
    "confirmed": "●",
    "unconfirmed": "○",
}


class Scoreboard(LiveText, can_focus=True):
    """Follows metric polls and criterion confirmations itself, while in view: below 100
    metric panels it is scrolled away, where a redraw costs a scoring and a layout of the
    whole tab at the next look at the screen."""

    DEFAULT_CSS = """
    Scoreboard { height: auto; padding: 0 1; }
    Scoreboard:focus { background: $boost; }
    """

    def __init__(self, engine: ConsoleEngine, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.engine = engine
        self._pending = False

    def on_mount(self) -> None:
        self.refresh_scores()
        signals(self).metric_signal.subscribe(self, self._on_change, immediate=True)
        signals(self).session_signal.subscribe(self, self._on_event)

    def on_show(self) -> None:
        self.refresh_scores()

    def _on_event(self, event: Event) -> None:
        if event.type == "criterion.confirmed":
            self._on_change(event.type)

    def _on_change(self, _what: str) -> None:
        # polls come in bursts: one redraw after them
        if not self._pending and in_view(self):
            self._pending = True
            self.call_after_refresh(self._redraw_pending)

    def _redraw_pending(self) -> None:
        self._pending = False
        self.refresh_scores()

    def refresh_scores(self) -> None:
        scores = self.engine.scoreboard()
        met = sum(1 for s in scores if s.status in ("met", "confirmed"))
        lines = [f"[b]Success criteria[/b] · {met}/{len(scores)} met"]
        for s in scores:
            lines.append(self._line(s))
        self.show("\n".join(lines))

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
