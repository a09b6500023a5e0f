"""The banner a firing rollback trigger raises: what fired, its value, and the way out."""

from __future__ import annotations

from rich.markup import escape
from textual.widgets import Static

from tminus.engine.console import ConsoleEngine
from tminus.plan.model import Plan
from tminus.ui.widgets.format import format_metric


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


class TriggerBanner(Static):
    DEFAULT_CSS = """
    TriggerBanner {
        display: none; height: auto; padding: 0 1;
        background: $error; color: $text; text-style: bold;
    }
    TriggerBanner.firing { display: block; }
    """

    def __init__(self, engine: ConsoleEngine, **kw: object) -> None:
        super().__init__("", **kw)  # type: ignore[arg-type]
        self.engine = engine
        self._text = ""

    def on_mount(self) -> None:
        self.refresh_banner()

    def refresh_banner(self) -> None:
        text = banner_text(self.engine)
        if text == self._text:
            return
        self._text = text
        self.update(text)
        self.set_class(bool(text), "firing")
