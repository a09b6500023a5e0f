"""The banner a firing rollback trigger raises: what fired, its value now, since when and
for how long, which series, who acknowledged it, and the way out (x)."""

from __future__ import annotations

from tminus.engine.console import ConsoleEngine
from tminus.engine.session import Event
from tminus.ui.markup import escape
from tminus.ui.signals import signals
from tminus.ui.widgets.live_text import LiveText
from tminus.ui.widgets.trigger_states import firing_details


def banner_text(engine: ConsoleEngine) -> str:
    firing = engine.state.firing
    if not firing:
        return ""
    parts = []
    for st in firing:
        trig = next((t for t in engine.plan.triggers if t.id == st.id), None)
        if trig is None:
            parts.append(escape(st.id))
            continue
        details = ", ".join(escape(p) for p in firing_details(engine, trig, st))
        parts.append(f"{escape(trig.title)} ({details})" if details else escape(trig.title))
    return f"⚠ ROLLBACK TRIGGER: {'; '.join(parts)} · press x for rollback"


class TriggerBanner(LiveText):
    """Follows trigger events and metric polls itself; every screen that shows it gets the
    same banner."""

    DEFAULT_CSS = """
    TriggerBanner {
        display: none; height: auto; padding: 0 1;
        background: $error; color: $text; text-style: bold;
    }
    TriggerBanner.firing { display: block; }
    """

    def __init__(self, engine: ConsoleEngine, **kw: object) -> None:
        super().__init__(wraps=True, **kw)  # type: ignore[arg-type]
        self.engine = engine
        self._watched = engine.plan.trigger_metrics()

    def on_mount(self) -> None:
        self.refresh_banner()
        signals(self).session_signal.subscribe(self, self._on_event)
        signals(self).metric_signal.subscribe(self, self._on_metric, immediate=True)
        self.set_interval(1.0, self._tick)

    def _on_event(self, event: Event) -> None:
        if event.type.startswith("trigger."):
            self.refresh_banner()

    def _on_metric(self, metric_id: str) -> None:
        # the value shown is the live one, not the one it fired at
        if metric_id in self._watched:
            self.refresh_banner()

    def _tick(self) -> None:
        if self.engine.state.firing:  # "for 2m10s" moves while a trigger fires
            self.refresh_banner()

    def refresh_banner(self) -> None:
        text = banner_text(self.engine)
        if self.show(text):
            self.set_class(bool(text), "firing")
