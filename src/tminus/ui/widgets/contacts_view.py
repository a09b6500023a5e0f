"""Emergency contacts, the communication plan, the notification channels with their state,
and a preview of the next status update (what `u` would send now)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from tminus.core.durations import format_duration
from tminus.engine.console import ConsoleEngine
from tminus.engine.notify import status_update
from tminus.engine.session import Event
from tminus.plan.model import Plan
from tminus.ui.markup import escape
from tminus.ui.widgets.comms_state import MARKS
from tminus.ui.widgets.hanging_text import HangingText

PREVIEW_EVERY = 30.0  # seconds; the preview's clock and values move, events redraw at once


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


def channels_text(engine: ConsoleEngine) -> str:
    from tminus.backends.notify import target

    plan = engine.plan
    if not plan.comms.notify:
        return "[b]Notifications[/b]\n  none: add [[comms.notify]] channels to the plan"
    lines = ["[b]Notifications[/b]"]
    for ch in plan.comms.notify:
        st = engine.state.notify.get(ch.name)
        status = st.status if st else "idle"
        detail = f" · {escape(st.error)}" if st and st.error and status != "ok" else ""
        counts = f" · {st.sent} sent" if st and st.sent else ""
        lines.append(
            f"  {MARKS.get(status, '?')} {escape(ch.name)} ({ch.kind} → {escape(target(ch))})"
            f" {status}{counts}{detail}"
        )
    return "\n".join(lines)


def preview_text(engine: ConsoleEngine) -> str:
    values = engine.metric_values()
    note = status_update(engine.plan, engine.state, engine.clock.now(), values)
    when = ""
    notifier = engine.notifier
    if notifier is not None and notifier.next_status_at is not None:
        left = (notifier.next_status_at - engine.clock.now()).total_seconds()
        when = f" (due in {format_duration_s(left)})"
    send = " · press u to send it now" if notifier is not None and not engine.read_only else ""
    lines = [f"[b]Next status update{when}[/b]{send}", f"  [b]{escape(note.title)}[/b]"]
    lines += [f"  {escape(line)}" for line in note.lines]
    return "\n".join(lines)


def format_duration_s(seconds: float) -> str:
    from datetime import timedelta

    return format_duration(timedelta(seconds=max(0, int(seconds))))


class ContactsView(VerticalScroll):
    DEFAULT_CSS = """
    ContactsView { padding: 0 1; }
    ContactsView > Static { margin-bottom: 1; }
    """

    def __init__(self, engine: ConsoleEngine, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.engine = engine
        self._texts: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        # an indented line that wraps goes on under its own indent, not at the left edge
        yield HangingText(channels_text(self.engine), id="comms-channels")
        yield HangingText(preview_text(self.engine), id="comms-preview")
        yield Static(contacts_text(self.engine.plan), id="contacts-text")

    def on_mount(self) -> None:
        self.app.session_signal.subscribe(self, self._on_event)  # type: ignore[attr-defined]
        # runs only while shown
        self._ticker = self.set_interval(PREVIEW_EVERY, self.refresh_comms, pause=True)

    def _on_event(self, event: Event) -> None:
        self.refresh_comms()

    def on_hide(self) -> None:
        self._ticker.pause()

    def on_show(self) -> None:
        self._ticker.resume()
        self.refresh_comms()  # catch up on what happened while the tab was hidden

    def refresh_comms(self) -> None:
        if not self.display or not self.is_on_screen:
            return  # a hidden tab catches up when shown
        for wid, text in (
            ("comms-channels", channels_text(self.engine)),
            ("comms-preview", preview_text(self.engine)),
        ):
            if self._texts.get(wid) != text:
                self._texts[wid] = text
                self.query_one(f"#{wid}", HangingText).show(text)
