"""A phase tab: progress and sign-off line, the checklist, the detail pane, a filter box."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Container, Vertical
from textual.widgets import DataTable, Input

from tminus.core.durations import phase_label
from tminus.engine.console import ConsoleEngine
from tminus.engine.session import Event
from tminus.plan.model import Item, Phase, Section
from tminus.ui.markup import escape
from tminus.ui.signals import signals
from tminus.ui.widgets.checklist import Checklist
from tminus.ui.widgets.item_detail import ItemDetail
from tminus.ui.widgets.live_text import LiveText
from tminus.ui.widgets.metrics_strip import MetricsStrip

AGES_EVERY = 20.0  # seconds: ages are coarse ('3m'), so a slow tick repaints rarely
ITEM_EVENTS = frozenset({"check.started", "check.finished", "item.confirmed", "note.added"})
NARROW = 110  # below this width the detail pane goes under the list
# Beside the list, the detail pane takes DETAIL_WIDTH cells, whatever the width: on a wide
# screen the room goes to the checklist's titles, and 40 still holds a region's line
# ("  ✔ prod-us-east: healthy (4 nodes)") unwrapped. DEFAULT_CSS is written from it, and
# list_width computes from it.
DETAIL_WIDTH = 40


def list_width(width: int) -> int:
    """The checklist's width in a view `width` cells wide, as DEFAULT_CSS below lays it
    out: known before the first layout, so the first frame has its final columns."""
    return width if width < NARROW else width - DETAIL_WIDTH


class PhaseView(Container):
    """Follows its items' events itself; its ages tick only while it is on screen."""

    DEFAULT_CSS = f"""
    PhaseView {{ layout: horizontal; }}
    PhaseView #phase-main {{ width: 1fr; }}
    PhaseView ItemDetail {{ width: {DETAIL_WIDTH}; border-left: vkey $panel; }}
    PhaseView.narrow {{ layout: vertical; }}
    PhaseView.narrow #phase-main {{ width: 1fr; height: 3fr; }}
    PhaseView.narrow ItemDetail {{
        width: 1fr; max-width: 100%; height: 1fr; max-height: 8;
        border-left: none; border-top: hkey $panel;
    }}
    PhaseView .phase-status {{ height: 1; padding: 0 1; background: $surface; }}
    PhaseView Input.filter {{ display: none; height: 1; border: none; padding: 0 1; }}
    PhaseView Input.filter.shown {{ display: block; }}
    """

    def __init__(
        self, engine: ConsoleEngine, phase: Phase, *, metrics_strip: bool = False, **kw: object
    ) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.engine = engine
        self.phase = phase
        self.strip = (
            MetricsStrip(engine, id=f"strip-{phase.id}")
            if metrics_strip and engine.poller is not None
            else None
        )
        self.checklist = Checklist(engine, phase, id=f"checklist-{phase.id}")
        self.detail = ItemDetail(engine, id=f"detail-{phase.id}")
        self.status_line = LiveText(classes="phase-status")
        self.filter_box = Input(
            placeholder="filter: words or a status (fail, manual)…", classes="filter"
        )

    def compose(self) -> ComposeResult:
        self.checklist.first_width = list_width(self.app.size.width)
        with Vertical(id="phase-main"):
            if self.strip is not None:
                yield self.strip
            yield self.status_line
            yield self.filter_box
            yield self.checklist
        yield self.detail

    def on_mount(self) -> None:
        self.refresh_status()
        signals(self).session_signal.subscribe(self, self._on_event)
        signals(self).watch_signal.subscribe(self, self._on_watch)
        self._ticker = self.set_interval(AGES_EVERY, self._on_tick, pause=True)  # while shown

    def on_hide(self) -> None:
        self._ticker.pause()

    def on_show(self) -> None:
        self._ticker.resume()
        # a hidden tab's ages went on counting: catch up when shown
        self.checklist.refresh_ages()
        self.refresh_status()

    def _on_tick(self) -> None:
        if self.is_on_screen:
            self.checklist.refresh_ages()

    def _on_event(self, event: Event) -> None:
        item_id = event.data.get("item")
        if event.type in ITEM_EVENTS and isinstance(item_id, str):
            if self.has_item(item_id):
                self.refresh_item(item_id)
        elif event.type == "phase.signed_off" and event.data.get("phase") == self.phase.id:
            self.refresh_status()

    def _on_watch(self, item_id: str) -> None:
        # a watched re-run that was not logged: only the detail pane's history bar moved
        selected = self.checklist.selected_item()
        if self.is_on_screen and selected is not None and selected.id == item_id:
            self.detail.show_item(selected, self.checklist.selected_section())

    def refresh_status(self) -> None:
        done, total = self.engine.progress(i for _, i in self.phase.items())
        signed = self.engine.state.signoffs.get(self.phase.id)
        if signed:
            sign = f"[b]signed off[/b] by {escape(signed.actor or '?')} {signed.ts[5:16]}Z"
        else:
            blockers = len(self.engine.blockers(self.phase))
            sign = "ready to sign off (g)" if not blockers else f"{blockers} blocking"
        running = sum(
            1
            for _, i in self.phase.items()
            if (st := self.engine.item_state(i.id)) is not None and st.running
        )
        run_text = f" · {running} running" if running else ""
        flt = (
            f" · filter: {escape(self.checklist.filter_text)}" if self.checklist.filter_text else ""
        )
        text = (
            f"{phase_label(self.phase.at)} {escape(self.phase.title)} · {done}/{total} green"
            f"{run_text} · {sign}{flt}"
        )
        self.status_line.show(text)  # one fixed line: redrawn, never laid out again

    def refresh_item(self, item_id: str) -> None:
        self.checklist.refresh_item(item_id)
        self.refresh_status()
        # the detail pane dedups its text, so re-showing the selection is cheap
        self.detail.show_item(self.checklist.selected_item(), self.checklist.selected_section())

    def has_item(self, item_id: str) -> bool:
        return any(i.id == item_id for _, i in self.phase.items())

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.detail.show_item(self.checklist.selected_item(), self.checklist.selected_section())

    # -- filter -----------------------------------------------------------
    def open_filter(self) -> None:
        self.filter_box.can_focus = True
        self.filter_box.add_class("shown")
        self.filter_box.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input is self.filter_box:
            self.checklist.filter_text = event.value.strip()
            self.checklist.rebuild()
            self.refresh_status()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input is self.filter_box:
            if not event.value.strip():
                self.filter_box.remove_class("shown")
            # A kept filter stays on screen but out of the focus chain until `/` again:
            # focusable, it caught the focus a tab switch let go of, so digit and `x` keys
            # were typed into it, or TabbedContent followed it back to this phase tab.
            self.filter_box.can_focus = False
            self.checklist.focus()

    def selected_item(self) -> Item | None:
        return self.checklist.selected_item()

    def selected_section(self) -> Section | None:
        return self.checklist.selected_section()

    def focus_list(self) -> None:
        # focus() repaints the widget even when it has focus: a second paint of the list
        # on every tab switch (the switch focuses, then TabActivated focuses again)
        if not self.checklist.has_focus:
            self.checklist.focus()

    def reveal(self, item_id: str) -> None:
        """Select an item, clearing a filter that hides it."""
        if not self.checklist.select(item_id):
            self.checklist.filter_text = ""
            self.filter_box.value = ""
            self.checklist.rebuild()
            self.checklist.select(item_id)
        self.checklist.focus()
