"""The Rollback tab: triggers and the ordered steps. Arming and running them comes with
the guarded rollback screen; until then this tab shows the plan and trigger state only."""

from __future__ import annotations

from rich.markup import escape
from textual.containers import VerticalScroll

from tminus.engine.console import ConsoleEngine
from tminus.engine.session import Event
from tminus.ui.signals import signals
from tminus.ui.widgets.live_text import LiveText


def rollback_text(engine: ConsoleEngine) -> str:
    plan = engine.plan
    lines = ["[b]Immediate rollback triggers[/b]"]
    for t in plan.triggers:
        st = engine.state.triggers.get(t.id)
        state = "[b]FIRING[/b]" if st and st.firing else "quiet"
        rule = (
            "declared by a person"
            if t.manual
            else f"{t.metric} {t.when} for {t.hold.total_seconds():g}s"
        )
        lines.append(f"  {escape(t.title)}: {escape(rule)} · {state}")
    lines.append("")
    lines.append("[b]Rollback steps[/b]")
    for n, step in enumerate(plan.rollback.steps, 1):
        flags = [f for f, on in (("dangerous", step.dangerous), ("if needed", step.optional)) if on]
        how = step.action.kind if step.action else "by hand"  # type: ignore[attr-defined]
        extra = f" [{', '.join(flags)}]" if flags else ""
        lines.append(f"  {n}. {escape(step.title)} ({how}){escape(extra)}")
    lines.append("")
    lines.append(
        "[dim]The guarded rollback (arm by typing the launch name) is not built yet.[/dim]"
    )
    return "\n".join(lines)


class RollbackView(VerticalScroll):
    """Follows trigger events itself."""

    DEFAULT_CSS = "RollbackView { padding: 0 1; }"

    def __init__(self, engine: ConsoleEngine, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.engine = engine
        self._body = LiveText(wraps=True)

    def compose(self):  # type: ignore[no-untyped-def]
        yield self._body

    def on_mount(self) -> None:
        self.refresh_view()
        signals(self).session_signal.subscribe(self, self._on_event)

    def _on_event(self, event: Event) -> None:
        if event.type.startswith("trigger."):
            self.refresh_view()

    def refresh_view(self) -> None:
        self._body.show(rollback_text(self.engine))
