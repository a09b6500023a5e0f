"""The Textual App: wires the engine to the main screen and holds global bindings only."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable, Iterable, Sequence
from functools import partial
from typing import ClassVar

from textual import on
from textual.app import App, ScreenStackError, SystemCommand
from textual.binding import BindingType
from textual.events import Resize
from textual.filter import LineFilter
from textual.geometry import Region
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.signal import Signal
from textual.widgets import TabbedContent
from textual.worker import Worker, WorkerState

from tminus.core import gc_policy
from tminus.engine.console import ConsoleEngine
from tminus.engine.session import Event
from tminus.ui.ascii_filter import AsciiFilter
from tminus.ui.config import config_path, load_config, save_config
from tminus.ui.failures import console_log_handler, report_failure
from tminus.ui.intents import run_intent
from tminus.ui.keymap import keymap_clashes, keymap_notice, read_keymap
from tminus.ui.keys import APP_BINDINGS, CONSOLE_BINDINGS, key_label
from tminus.ui.screens.main import MainScreen
from tminus.ui.scrollbar_render import use_whole_cell_scrollbars
from tminus.ui.terminal_caps import ascii_requested
from tminus.ui.themes import DEFAULT_THEME, NO_COLOR_THEME, THEMES
from tminus.ui.toast_placement import place_toasts
from tminus.ui.widgets.key_footer import KeyFooter

PLACE_EVERY, PLACE_TRIES = 0.02, 50  # seconds, times: new toasts are laid out by then
SETTLED = 3  # checks in a row with the toasts where they were: placed for good
START_AT_LATEST = 2.0  # seconds: the engine starts then even if no footer said it is drawn


class TminusApp(App[None]):
    CSS_PATH = "tminus.tcss"
    TITLE = "tminus"
    BINDINGS: ClassVar[list[BindingType]] = [*APP_BINDINGS]

    def __init__(
        self,
        engine: ConsoleEngine,
        *,
        remember_theme: bool = True,
        on_start: Callable[[], Awaitable[None]] | None = None,
        notice: str = "",
        ascii_only: bool | None = None,
    ) -> None:
        super().__init__()
        self.engine = engine
        # a non-UTF-8 locale or an old terminal (ui/terminal_caps.py), or --ascii
        self.ascii_only = ascii_requested() if ascii_only is None else ascii_only
        self._ascii_filter = AsciiFilter()
        use_whole_cell_scrollbars()  # no partial-block glyphs left at the right edge
        # Views subscribe themselves (weakly: a removed widget stops receiving):
        # every folded session event, in seq order, and the id of each metric polled.
        self.session_signal: Signal[Event] = Signal(self, "session")
        self.metric_signal: Signal[str] = Signal(self, "metric")
        self.watch_signal: Signal[str] = Signal(self, "watch")
        self.on_start = on_start
        self.notice = notice
        self.remember_theme = remember_theme
        self._theme_ready = False  # set before `theme`: its watcher reads this
        self._log_handler: logging.Handler | None = None
        # an animated tab underline costs ~8 KB per switch over SSH; the commander gains nothing
        self.animation_level = "none"
        for theme in THEMES:
            self.register_theme(theme)
        config = load_config()
        if os.environ.get("NO_COLOR"):
            self.theme = NO_COLOR_THEME
        else:
            saved = config.get("theme") if remember_theme else None
            self.theme = saved if saved in self.available_themes else DEFAULT_THEME
        self.user_keymap, problems = read_keymap(config.get("keymap"))
        self._keymap_notice = keymap_notice(problems, str(config_path())) if problems else ""
        self._keymap_clashes = keymap_clashes(self.user_keymap)
        self.set_keymap(self.user_keymap)

    def get_line_filters(self) -> Sequence[LineFilter]:
        filters = super().get_line_filters()
        return [*filters, self._ascii_filter] if self.ascii_only else filters

    async def on_mount(self) -> None:
        self._log_handler = console_log_handler()
        if self._log_handler is not None:
            logging.getLogger("tminus").addHandler(self._log_handler)
        self.engine.subscribe(self._on_engine_event)
        self.engine.subscribe_writer_gone(self._on_writer_gone)
        if self.engine.watcher is not None:
            self.engine.watcher.subscribe(self.watch_signal.publish)
        if self.engine.poller is not None:
            self.engine.poller.subscribe(self._on_metric)
        self.engine.attach_loop(asyncio.get_running_loop())

    async def on_ready(self) -> None:
        # the main screen is pushed once Textual's start-up batch is over: pushed from
        # on_mount, inside the batch, it was laid out and painted twice for nothing (the
        # batch writes nothing) and a third time for the terminal, 0.1-0.2 s later
        await self.push_screen(self.make_main_screen())
        self._theme_ready = True
        if self.notice:
            self.notify(self.notice, severity="warning", timeout=10, markup=False)
        if self._keymap_notice:
            self.notify(self._keymap_notice, severity="error", timeout=20, markup=False)
        for clash in self._keymap_clashes:
            self.notify(f"[keymap]: {clash}.", severity="warning", timeout=20, markup=False)
        # after the first full frame: the first polls and backfills (seconds of CPU on the
        # demo world) must not delay it; at the latest after START_AT_LATEST
        self.set_timer(START_AT_LATEST, self._first_frame_drawn)

    def on_unmount(self) -> None:
        if self._log_handler is not None:
            logging.getLogger("tminus").removeHandler(self._log_handler)
            with contextlib.suppress(OSError):  # a full disk cannot take the last flush
                self._log_handler.close()

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """The one place a failed worker becomes visible: a notification and a log line."""
        if event.state is not WorkerState.ERROR:
            return
        self.notify(report_failure(event.worker), severity="error", timeout=20, markup=False)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)
        self.set_timer(PLACE_EVERY, partial(self._place_toasts, PLACE_TRIES))

    def on_resize(self, _event: Resize) -> None:
        self._place_toasts_again()

    @on(TabbedContent.TabActivated)
    def _tab_switched(self, _event: TabbedContent.TabActivated) -> None:
        self._place_toasts_again()

    def _place_toasts_again(self) -> None:
        """Toasts up while the layout changes (a resize, another tab: the detail pane and
        the selected row move) are placed again once the new layout is there."""
        if any(not n.has_expired for n in self._notifications):
            self.call_after_refresh(self._settle_toasts, PLACE_TRIES, None, 0)

    def _settle_toasts(self, tries: int, seen: tuple[Region, ...] | None, stable: int) -> None:
        """Place the toasts, and again every PLACE_EVERY until they have stayed put for
        SETTLED checks: after a resize a toast re-wraps to its new width (taller when
        narrower) a frame or more after the panes have moved, so one placement used the
        old height."""
        try:
            screen = self.screen
        except ScreenStackError:  # the app is closing
            return
        now = tuple(t.region for t in screen.query("Toast"))
        stable = stable + 1 if now == seen else 0
        if stable >= SETTLED or tries <= 0:
            return
        place_toasts(screen, sum(1 for n in self._notifications if not n.has_expired))
        self.set_timer(PLACE_EVERY, partial(self._settle_toasts, tries - 1, now, stable))

    def _place_toasts(self, tries: int) -> None:
        """Off the text the toast announces (ui/toast_placement.py), once they are laid out."""
        try:
            screen = self.screen
        except ScreenStackError:  # the app is closing
            return
        shown = sum(1 for n in self._notifications if not n.has_expired)
        if not place_toasts(screen, shown) and tries > 1:
            self.set_timer(PLACE_EVERY, partial(self._place_toasts, tries - 1))

    def make_main_screen(self) -> MainScreen:
        return MainScreen(self.engine)

    def _on_writer_gone(self, previous: str) -> None:
        # once, and it stays until dismissed: the commander may be looking elsewhere
        plan = self.engine.state.plan_path or "PLAN"
        self.notify(
            f"The writing console ({previous}) has quit. This one stays read-only; to continue"
            f" the session: tminus run {plan} --take-over",
            title="Writer gone",
            severity="warning",
            timeout=3600,
            markup=False,
        )

    def on_key_footer_ready(self, _message: KeyFooter.Ready) -> None:
        self.call_after_refresh(self._first_frame_drawn)

    async def _first_frame_drawn(self) -> None:
        gc_policy.resume_after_start()  # paused by the command line for the start-up
        await self._start_engine()

    async def _start_engine(self) -> None:
        start, self.on_start = self.on_start, None  # once, whichever comes first
        if start is not None:
            await start()

    def _on_engine_event(self, event: Event) -> None:
        # on this loop's thread (the engine folds there), in seq order
        self.session_signal.publish(event)

    def _on_metric(self, metric_id: str) -> None:
        self.metric_signal.publish(metric_id)

    def watch_theme(self, theme: str) -> None:
        if not self._theme_ready:  # the initial choice, made before any screen exists
            return
        if self.remember_theme and not os.environ.get("NO_COLOR"):
            # a newer choice supersedes a save still under way
            run_intent(
                self,
                partial(save_config, {"theme": theme}),
                "Saving the theme",
                group="theme",
                exclusive=True,
                thread=True,
            )

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        main = next((s for s in self.screen_stack if isinstance(s, MainScreen)), None)
        if main is not None:
            offered: set[str] = set()
            for b in CONSOLE_BINDINGS:
                # as the footer: what the console offers now, each key once (x is
                # `rollback` while a trigger fires and `rollback_any` otherwise)
                key = key_label(self, b, self.user_keymap)
                if key in offered or main.check_action(b.action, ()) is False:
                    continue
                offered.add(key)
                yield SystemCommand(
                    f"{b.description} ({key})", b.tooltip, partial(main.run_action, b.action)
                )
        yield SystemCommand(
            "Help: keys and symbols (?)", "Every key and status symbol", self.action_help
        )

    def action_help(self) -> None:
        from tminus.ui.screens.help import HelpScreen  # on the first `?`, not before the frame

        if not isinstance(self.screen, HelpScreen):  # the help is about the screen under it
            self.push_screen(HelpScreen(self.screen, read_only=self.engine.read_only))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "switch_tab":  # only the tabs this console has, and only where tabs are
            screen = self.screen
            if not isinstance(screen, MainScreen):
                return False
            return bool(parameters) and 1 <= int(str(parameters[0])) <= screen.tab_count()
        return True

    def action_switch_tab(self, n: int) -> None:
        main = self.screen
        if not isinstance(main, MainScreen):
            return
        tabs = main.query_one(TabbedContent)
        panes = [p.id for p in tabs.query("TabPane")]
        if 1 <= n <= len(panes) and panes[n - 1]:
            main.show_tab(str(panes[n - 1]))

    async def action_quit(self) -> None:
        await self.engine.shutdown()
        self.exit()
