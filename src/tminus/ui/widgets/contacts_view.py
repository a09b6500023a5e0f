"""Emergency contacts and the communication plan, from the plan."""

from __future__ import annotations

from rich.markup import escape
from textual.containers import VerticalScroll
from textual.widgets import Static

from tminus.core.durations import format_duration
from tminus.plan.model import Plan


def contacts_text(plan: Plan) -> str:
    lines = ["[b]Emergency contacts[/b]"]
    for c in plan.contacts:
        how = " · ".join(x for x in (c.name, f"via {c.via}" if c.via else "", c.details) if x)
        lines.append(f"  {escape(c.role)}: {escape(how) or '[dim]-[/dim]'}")
    for title, channels in (("Internal", plan.comms.internal), ("External", plan.comms.external)):
        lines.append("")
        lines.append(f"[b]Communication: {title.lower()}[/b]")
        for ch in channels:
            note = f" ({escape(ch.note)})" if ch.note else ""
            lines.append(f"  {escape(ch.name)}: {escape(ch.target)}{note}")
    if plan.comms.status_every is not None:
        lines.append("")
        lines.append(f"Status updates every {format_duration(plan.comms.status_every)}.")
    return "\n".join(lines)


class ContactsView(VerticalScroll):
    DEFAULT_CSS = "ContactsView { padding: 0 1; }"

    def __init__(self, plan: Plan, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.plan = plan

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static(contacts_text(self.plan))
