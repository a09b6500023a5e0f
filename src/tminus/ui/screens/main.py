"""The console: header, one tab per phase, Metrics, Rollout, Rollback and Contacts & Comms
tabs, footer; and the commander's actions. The views follow the session and the metrics through
the App's signals by themselves: this screen lays them out and does not route to them."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.css.query import NoMatches
from textual.events import Resize
from textual.reactive import Reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import TabbedContent, TabPane, Tabs

from tminus.core.durations import phase_label
from tminus.engine.console import ConsoleEngine, ReadOnlyError
from tminus.engine.session import Event
from tminus.ui.intents import run_intent
from tminus.ui.keys import (
    CHART_BINDINGS,
    CONSOLE_BINDINGS,
    METRIC_PANEL_BINDINGS,
    METRICS_VIEW_BINDINGS,
    MUTATING,
    ROLLBACK_BINDINGS,
    ROLLBACK_MUTATING,
    ROLLOUT_BINDINGS,
)
from tminus.ui.markup import escape
from tminus.ui.signals import signals
from tminus.ui.tab_labels import fit_labels
from tminus.ui.widgets.key_footer import KeyFooter
from tminus.ui.widgets.launch_header import LaunchHeader
from tminus.ui.widgets.phase_view import NARROW, PhaseView
from tminus.ui.widgets.trigger_banner import TriggerBanner

if TYPE_CHECKING:
    from tminus.ui.widgets.metric_panel import MetricPanel

MOUNT_AT_LATEST = 2.0  # seconds: hidden tabs' views mount then if no footer said it is drawn
PHASE_ONLY = (MUTATING - {"declare", "send_update", "end_session"}) | {"filter"}


class MainScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [*CONSOLE_BINDINGS]
    HELP_TITLE = "console"
    # the list takes focus as the screen starts, before the first layout: focused later,
    # its restyle (its scrollbars too) cost a full layout and paint more
    AUTO_FOCUS = "Checklist"
    HELP_SYMBOLS = True
    # Textual repaints the whole screen when focus moves (Screen.focused repaints): a
    # full frame, about 11 KB at 80x24, on every tab switch. The widgets that gain and
    # lose focus repaint themselves (their :focus styles), so the screen need not.
    focused: Reactive[Widget | None] = Reactive(None, repaint=False)

    def __init__(self, engine: ConsoleEngine) -> None:
        super().__init__()
        self.engine = engine
        self._full_labels: list[str] = []  # each tab's label as composed, before fitting
        # the T-0 phase carries the compact metrics strip; narrow or not from the start (a
        # class set once they are mounted restyles them all before the first layout)
        narrow = "narrow" if self.app.size.width < NARROW else ""
        self.phase_views = {
            p.id: PhaseView(
                engine,
                p,
                id=f"view-{p.id}",
                metrics_strip=p.at.total_seconds() == 0,
                classes=narrow,
            )
            for p in engine.plan.phases
        }

    def compose(self) -> ComposeResult:
        yield LaunchHeader(self.engine, id="launch-header")
        yield TriggerBanner(self.engine, id="trigger-banner")
        # hidden tabs get their views once the first full frame is drawn (the footer says
        # so): composed before, they cost it a fifth of its time
        n = len(self.engine.plan.phases)
        self._deferred = True
        with TabbedContent(id="tabs"):
            for i, phase in enumerate(self.engine.plan.phases, 1):
                label = f"{i} {phase_label(phase.at)} {escape(phase.title)}"
                with TabPane(label, id=f"phase-{phase.id}"):
                    if i == 1:
                        yield self.phase_views[phase.id]
            yield TabPane(f"{n + 1} Metrics", id="metrics")
            yield TabPane(f"{n + 2} Rollout", id="rollout")
            yield TabPane(f"{n + 3} Rollback", id="rollback")
            yield TabPane(f"{n + 4} Contacts & Comms", id="contacts")
        yield KeyFooter(compact=True, show_command_palette=False)

    async def on_key_footer_ready(self, _message: KeyFooter.Ready) -> None:
        await self._mount_deferred()

    async def _mount_deferred(self) -> None:
        """The first full frame is on screen: the hidden tabs' views mount now, one after
        the other, each module loaded just before its view: a key pressed meanwhile waits
        for one view (a few tens of ms), not for all of them."""
        if not self._deferred:
            return
        self._deferred = False
        deferred = self._deferred_views()
        for pane_id, make in deferred.items():
            await self.query_one(f"#{pane_id}", TabPane).mount(make())
        active = self._active_tab()
        if active in deferred:  # a tab chosen before its view was there: focus into it
            self._focus_active(self.query_one(f"#{active}", TabPane))

    def _deferred_views(self) -> dict[str, Callable[[], Widget]]:
        """What makes each hidden tab's view, by pane id; their modules load when called."""

        def metrics() -> Widget:
            from tminus.ui.widgets.metrics_view import MetricsView

            return MetricsView(self.engine, id="metrics-view")

        def rollout() -> Widget:
            from tminus.ui.widgets.rollout_view import RolloutView

            return RolloutView(self.engine, id="rollout-view")

        def rollback() -> Widget:
            from tminus.ui.widgets.rollback_view import RollbackView

            return RollbackView(self.engine, id="rollback-view")

        def contacts() -> Widget:
            from tminus.ui.widgets.contacts_view import ContactsView

            return ContactsView(self.engine, id="contacts-view")

        phases: dict[str, Callable[[], Widget]] = {
            f"phase-{p.id}": partial(self.phase_views.__getitem__, p.id)
            for p in self.engine.plan.phases[1:]
        }
        return {
            **phases,
            "metrics": metrics,
            "rollout": rollout,
            "rollback": rollback,
            "contacts": contacts,
        }

    def on_mount(self) -> None:
        # at the latest: a footer that never draws (no focus) must not keep tabs empty
        self.set_timer(MOUNT_AT_LATEST, self._mount_deferred)
        self._apply_width(self.size.width)
        # the screen's own concern: the x key and the alarm; the views follow by themselves
        signals(self).session_signal.subscribe(self, self._on_event)
        # now, not after a refresh: the first paint then has the focus and the footer the
        # keys that go with it, not a second pass
        self._focus_list()

    def _focus_list(self) -> None:
        view = self.active_phase_view()
        if view is not None:
            view.focus_list()
        elif self._active_tab() == "metrics":
            # the first panel, so enter opens its chart at once (the tab mounts lazily)
            for metrics in self.query("MetricsView"):
                metrics.focus_first()  # type: ignore[attr-defined]

    def on_screen_suspend(self) -> None:
        """A screen opens over this one. If nothing here has focus (a tab with nothing to
        focus: Metrics without metrics), Textual's auto focus (AUTO_FOCUS, the checklist)
        would pick the first phase's list on return, and TabbedContent would follow it
        there: the tab bar keeps the focus instead, so escape returns to the same tab."""
        if self.focused is None:
            self.set_focus(self.query_one(TabbedContent).query_one(Tabs), scroll_visible=False)

    def on_resize(self, event: Resize) -> None:
        self._apply_width(event.size.width)

    def _apply_width(self, width: int) -> None:
        for view in self.phase_views.values():
            view.set_class(width < NARROW, "narrow")
        self._fit_tab_labels(width)

    def _fit_tab_labels(self, width: int) -> None:
        """Every tab's number and name on screen: shorter names where space is short."""
        try:
            tabs = self.query_one(TabbedContent)
        except NoMatches:
            return
        panes = list(tabs.query(TabPane))
        if not self._full_labels or len(self._full_labels) != len(panes):
            self._full_labels = [str(tabs.get_tab(p.id or "").label) for p in panes]
        for pane, label in zip(panes, fit_labels(self._full_labels, width), strict=True):
            tab = tabs.get_tab(pane.id or "")
            if str(tab.label) != label:
                tab.label = label

    def on_metric_panel_open(self, message: MetricPanel.Open) -> None:
        from tminus.ui.screens.metric_detail import MetricDetailScreen

        self.app.push_screen(
            MetricDetailScreen(self.engine, self.engine.plan.metric(message.metric_id))
        )

    @on(TabbedContent.TabActivated)
    def _tab_changed(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id != self._active_tab():
            # stale: another tab was chosen since (keys typed ahead); focusing this pane
            # would make TabbedContent follow focus back to it
            return
        self._focus_active(event.pane)
        self.refresh_bindings()

    def show_tab(self, pane_id: str) -> None:
        """Switch tabs and focus into the new one in the same frame: focused later (on
        TabActivated), the new tab's rows were painted twice, unfocused and then focused."""
        tabs = self.query_one(TabbedContent)
        if tabs.active == pane_id:
            return
        tabs.active = pane_id
        self._focus_active(tabs.get_pane(pane_id))

    def _focus_active(self, pane: TabPane) -> None:
        if self.active_phase_view() is not None:
            self._focus_list()
        elif self._active_tab() == "rollout":
            self._focus_pane(pane, "RolloutView")  # its keys (← → enter) work at once
        elif self._active_tab() == "metrics":
            self._focus_list()
            self.call_after_refresh(self._focus_list)  # a lazily mounted tab: once it is there
        else:
            # Focus must land inside the shown pane: left on a hidden widget, Textual moves
            # it to the next focusable one (a kept filter box in a phase tab), and
            # TabbedContent follows focus back to that phase tab.
            self._focus_pane(pane)

    def _focus_pane(self, pane: TabPane, selector: str = "*") -> None:
        def focus() -> None:
            if pane.id != self._active_tab():
                return  # another tab was chosen meanwhile
            target = next((w for w in pane.query(selector) if w.focusable), None)
            if target is not None:
                target.focus()
            else:
                self.query_one(TabbedContent).query_one(Tabs).focus()

        focus()  # now, and again once a Lazy pane has mounted its content
        self.call_after_refresh(focus)

    def _on_event(self, event: Event) -> None:
        if not event.type.startswith(("trigger.", "rollback.")):
            return
        self.refresh_bindings()  # x is in the footer while a trigger fires or it is armed
        if event.type in ("trigger.fired", "trigger.declared"):
            self.app.bell()
            labels = event.data.get("labels") or {}
            where = f" ({', '.join(map(str, labels.values()))})" if labels else ""
            title = self._trigger_title(str(event.data.get("trigger")))
            self.notify(
                f"Rollback trigger: {escape(title)}{escape(where)}",
                severity="error",
                timeout=15,
            )

    def _trigger_title(self, trigger_id: str) -> str:
        return next((t.title for t in self.engine.plan.triggers if t.id == trigger_id), trigger_id)

    # ------------------------------------------------------------ help (screens/help.py)
    def tab_count(self) -> int:
        # the tabs compose() makes; asked for each tab key whenever bindings are checked,
        # so counted, not queried from the DOM
        return len(self.engine.plan.phases) + 4

    def help_title(self) -> str:
        try:
            tabs = self.query_one(TabbedContent)
            label = tabs.get_tab(tabs.active).label.plain
            panes = [p.id for p in tabs.query(TabPane)]
            label = self._full_labels[panes.index(tabs.active)]  # not the one fitted to 80 columns
        except (NoMatches, ValueError, IndexError):
            return self.HELP_TITLE
        return f"{self.HELP_TITLE}, tab {label}"

    def help_elsewhere(self) -> list[tuple[str, list[Binding]]]:
        """This console's keys of other tabs and screens, as far as it offers them."""
        read_only = self.engine.read_only
        sections = [
            (
                "On a phase tab",
                [
                    b
                    for b in CONSOLE_BINDINGS
                    if b.action in PHASE_ONLY | {"toggle_strip"}
                    and not (read_only and b.action in MUTATING)
                ],
            ),
            (
                "On the Metrics tab",
                [*METRIC_PANEL_BINDINGS, *METRICS_VIEW_BINDINGS]
                + [b for b in CONSOLE_BINDINGS if b.action == "confirm" and not read_only],
            ),
        ]
        if self.engine.rollout is not None and not read_only:
            sections.append(("On the Rollout tab", list(ROLLOUT_BINDINGS)))
        if self.engine.notifier is not None and not read_only:
            sections.append(
                (
                    "On the Contacts & Comms tab",
                    [b for b in CONSOLE_BINDINGS if b.action == "send_update"],
                )
            )
        sections.append(("In a metric's chart (enter on a metric)", list(CHART_BINDINGS)))
        rollback = [
            b for b in ROLLBACK_BINDINGS if not (read_only and b.action in ROLLBACK_MUTATING)
        ]
        sections.append(("On the rollback screen (x), when they apply", rollback))
        return sections

    # ------------------------------------------------------------ helpers
    def _active_tab(self) -> str:
        try:
            return self.query_one(TabbedContent).active
        except NoMatches:  # bindings are checked before the tabs are mounted
            return ""

    def active_phase_view(self) -> PhaseView | None:
        active = self._active_tab()
        if active.startswith("phase-"):
            return self.phase_views.get(active.removeprefix("phase-"))
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in MUTATING and self.engine.read_only:
            return False  # not offered at all: hidden from footer, help and palette
        if action == "rollback":  # in the footer while it matters; `rollback_any` otherwise
            return bool(self.engine.state.firing) or self.engine.state.rollback.phase == "armed"
        if action == "declare":
            return any(t.manual for t in self.engine.plan.triggers)
        if action == "send_update":  # on the Contacts & Comms tab, where its preview is
            return self.engine.notifier is not None and self._active_tab() == "contacts"
        if action == "end_session":
            return True
        if action == "toggle_strip":
            view = self.active_phase_view()
            return view is not None and view.strip is not None
        on_metrics = self._active_tab() == "metrics"
        if action == "confirm" and on_metrics:
            return True  # on the Metrics tab, c confirms a success criterion
        # phase-only keys are hidden outside a phase tab: at 80 columns the footer then has
        # room for the tab's own keys (the Rollout tab's arrows and enter); help lists all
        return action not in PHASE_ONLY or self.active_phase_view() is not None

    def _guard(self) -> PhaseView | None:
        view = self.active_phase_view()
        if view is None:
            self.notify("Open a phase tab first (1-3).", severity="warning")
        return view

    # ------------------------------------------------------------ actions
    def action_run_selected(self) -> None:
        view = self._guard()
        if view is None:
            return
        item = view.selected_item()
        if item is not None:
            if item.manual:
                self.notify(f"{escape(item.title)} is manual: press c to confirm it.")
                return
            self._start([item.id], item.title)
            return
        section = view.selected_section()
        if section is not None:
            self._start([i.id for i in section.items], section.title)

    def action_run_phase(self) -> None:
        view = self._guard()
        if view is not None:
            self._start([i.id for _, i in view.phase.items()], view.phase.title)

    def _start(self, item_ids: list[str], what: str) -> None:
        try:
            ids = self.engine.runner.automated(item_ids)
        except KeyError:
            return
        if not ids:
            self.notify(f"{escape(what)}: no automated checks to run.")
            return
        n = len(ids)
        checks = f"{n} check{'s' if n != 1 else ''}"

        async def run() -> None:
            await self.engine.run_checks(ids)  # the views follow the checks through events

        run_intent(self, run, f"Running {checks} ({what})", group="runs")
        self.notify(f"Running {checks}: {escape(what)}", timeout=3)

    def action_confirm(self) -> None:
        from tminus.ui.screens.note_prompt import NotePrompt

        if self._active_tab() == "metrics":
            self._confirm_criterion()
            return
        view = self._guard()
        item = view.selected_item() if view else None
        if item is None:
            return
        if not item.manual:
            self.notify(f"{escape(item.title)} is automated: press r to run it.")
            return

        def done(note: str | None) -> None:
            if note is not None:
                run_intent(self, self.engine.confirm(item.id, note), f"Confirming {item.title}")

        self.app.push_screen(NotePrompt(f"Confirm: {item.title}", "note (optional)"), done)

    def _confirm_criterion(self) -> None:
        from tminus.ui.screens.choose_with_note import ChooseWithNote

        open_ = [
            (c.id, c.title)
            for c in self.engine.plan.success_criteria
            if c.manual and c.id not in self.engine.state.criteria
        ]
        if not open_:
            self.notify("No success criterion is waiting for a person.")
            return

        def done(choice: tuple[str, str] | None) -> None:
            if choice is not None:
                crit_id, note = choice
                run_intent(
                    self,
                    self.engine.confirm_criterion(crit_id, note),
                    "Confirming the success criterion",
                )

        self.app.push_screen(
            ChooseWithNote("Confirm a success criterion", open_, placeholder="evidence (required)"),
            done,
        )

    def action_note(self) -> None:
        from tminus.ui.screens.note_prompt import NotePrompt

        view = self._guard()
        item = view.selected_item() if view else None
        if item is None:
            return

        def done(text: str | None) -> None:
            if text:
                run_intent(self, self.engine.add_note(text, item.id), "Saving the note")

        self.app.push_screen(
            NotePrompt(f"Note on: {item.title}", "what happened", required=True), done
        )

    def action_sign_off(self) -> None:
        from tminus.ui.screens.signoff import SignOffScreen

        view = self._guard()
        if view is None:
            return
        phase = view.phase
        if phase.id in self.engine.state.signoffs:
            self.notify(f"{escape(phase.title)} is already signed off.")
            return

        def done(note: str | None) -> None:
            if note is not None:
                run_intent(self, self._sign_off(phase.id, note), f"Signing off {phase.title}")

        def rerun(ids: list[str]) -> None:
            self.engine.run_checks(ids)
            self.notify(f"Re-running {len(ids)} stale check{'s' if len(ids) != 1 else ''}.")

        stale = self.engine.stale(phase)
        screen = SignOffScreen(phase, self.engine.blockers(phase), stale, rerun)
        self.app.push_screen(screen, done)

    async def _sign_off(self, phase_id: str, note: str) -> None:
        from tminus.ui.screens.signoff import SignOffScreen

        blockers = await self.engine.sign_off(phase_id, note)
        if blockers:  # something turned red while the dialog was open
            phase = next(p for p in self.engine.plan.phases if p.id == phase_id)
            self.app.push_screen(SignOffScreen(phase, blockers))

    def action_toggle_strip(self) -> None:
        view = self.active_phase_view()
        if view is not None and view.strip is not None:
            view.strip.display = not view.strip.display

    def action_rollback(self) -> None:
        from tminus.ui.screens.rollback_screen import RollbackScreen

        self.app.push_screen(RollbackScreen(self.engine))

    def action_rollback_any(self) -> None:
        self.action_rollback()

    def action_declare(self) -> None:
        from tminus.ui.screens.choose_with_note import ChooseWithNote

        manual = [t for t in self.engine.plan.triggers if t.manual]

        def done(choice: tuple[str, str] | None) -> None:
            if choice is not None:
                trigger_id, note = choice
                run_intent(
                    self,
                    self.engine.declare_trigger(trigger_id, note),
                    "Declaring the rollback trigger",
                )

        self.app.push_screen(
            ChooseWithNote(
                "Declare a rollback trigger",
                [(t.id, t.title) for t in manual],
                placeholder="what was seen (required)",
                verb="declare",
                danger=True,
            ),
            done,
        )

    def action_send_update(self) -> None:
        try:
            note = self.engine.send_status_now()
        except (ReadOnlyError, ValueError) as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        n = len(self.engine.plan.comms.notify)
        self.notify(
            f"Sending to {n} channel{'s' if n != 1 else ''}: {note.title}", timeout=4, markup=False
        )

    def action_end_session(self) -> None:
        from tminus.engine.events import OUTCOMES
        from tminus.ui.screens.choose_with_note import ChooseWithNote

        labels = {"launched": "Launched", "rolled-back": "Rolled back", "aborted": "Aborted"}

        def done(choice: tuple[str, str] | None) -> None:
            if choice is not None:
                self.run_worker(self._end_session(*choice), group="intents", exit_on_error=False)

        self.app.push_screen(
            ChooseWithNote(
                "End the launch session: what was the outcome?",
                [(o, labels[o]) for o in OUTCOMES],
                placeholder="note for the record (required)",
                verb="end the session",
            ),
            done,
        )

    async def _end_session(self, outcome: str, note: str) -> None:
        await self.engine.close_session(outcome, note)
        await self.app.action_quit()

    def action_filter(self) -> None:
        view = self._guard()
        if view is not None:
            view.open_filter()

    def action_next_failing(self) -> None:
        failing = self.engine.failing()
        if not failing:
            self.notify("Nothing is failing.")
            return
        view = self.active_phase_view()
        current = view.selected_item() if view else None
        order = [i.id for _, _, i in self.engine.plan.items()]
        start = order.index(current.id) + 1 if current else 0
        rotated = order[start:] + order[:start]
        target = next(i for i in rotated if i in failing)
        for pid, pview in self.phase_views.items():
            if pview.has_item(target):
                self.show_tab(f"phase-{pid}")
                pview.reveal(target)
                return
