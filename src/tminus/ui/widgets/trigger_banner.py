"""The banner a firing rollback trigger raises: what fired, its value, and the way out."""

from __future__ import annotations

from rich.markup import escape

from tminus.engine.console import ConsoleEngine
from tminus.engine.session import Event
from tminus.plan.model import Plan
from tminus.ui.signals import signals
from tminus.ui.widgets.format import format_metric
from tminus.ui.widgets.live_text import LiveText


def banner_text(engine: ConsoleEngine) -> str:
    firing = engine.state.firing
    if not firing:
        return ""
    plan: Plan = engine.plan
    parts = []
    for st in firing:
        trig = next((t for t in plan.triggers if t.id == st.id), None)
        title = trig.title if trig else st.id
        series = st.firing_series()
        where = "/".join(v for a in series[:2] for v in a.labels.values())
        if len(series) > 2:
            where += f" +{len(series) - 2}"
        if trig is not None and trig.metric and isinstance(st.value, int | float):
            value = format_metric(float(st.value), plan.metric(trig.metric).unit)
            at = f" in {escape(where)}" if where else ""
            parts.append(f"{escape(title)}{at} (now {value})")
        elif where:
            parts.append(f"{escape(title)}: {escape(where)}")
        elif st.note:
            parts.append(f"{escape(title)}: {escape(st.note)}")
        else:
            parts.append(escape(title))
    return f"⚠ ROLLBACK TRIGGER: {'; '.join(parts)} · press x for rollback"


class TriggerBanner(LiveText):
    """Follows trigger events itself; every screen that shows it gets the same banner."""

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

    def on_mount(self) -> None:
        self.refresh_banner()
        signals(self).session_signal.subscribe(self, self._on_event)

    def _on_event(self, event: Event) -> None:
        if event.type.startswith("trigger."):
            self.refresh_banner()

    def refresh_banner(self) -> None:
        text = banner_text(self.engine)
        if self.show(text):
            self.set_class(bool(text), "firing")
