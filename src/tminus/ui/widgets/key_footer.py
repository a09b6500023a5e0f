"""The footer, by importance: what the commander needs most comes first, and on a narrow
terminal the least important keys give way whole, never cut in half.

While a rollback trigger fires, `x` leads. `?` (help, which lists everything) always
stays. Keys of screens this table does not name follow in their own order.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

# most important first
IMPORTANCE = (
    "rollback",
    "help",
    "arm",  # the rollback screen's keys (they never share a footer with the console's)
    "proceed",
    "acknowledge",
    "dry_run",
    "next_failing",
    "run_selected",
    "open_chart",
    "run_phase",
    "sign_off",
    "confirm",
    "toggle_strip",
    "note",
    "filter",
    "close",
    "back",
    "clear_trigger",
    "withdraw",
    "quit",
)
ALWAYS = "help"


def key_cost(key_display: str, description: str) -> int:
    """Cells a compact footer key takes: ` k desc ` less the shared space."""
    return len(key_display) + len(description) + 2


def by_importance(bindings: list[tuple[Binding, bool, str]]) -> list[tuple[Binding, bool, str]]:
    rank = {action: n for n, action in enumerate(IMPORTANCE)}
    indexed = list(enumerate(bindings))
    indexed.sort(key=lambda p: (rank.get(p[1][0].action, len(IMPORTANCE)), p[0]))
    return [b for _, b in indexed]


def fit(
    bindings: list[tuple[Binding, bool, str]], width: int, display: dict[str, str]
) -> list[tuple[Binding, bool, str]]:
    """The most important keys that fit `width` whole; help always among them."""
    chosen: list[tuple[Binding, bool, str]] = []
    used = 0
    help_cost = sum(
        key_cost(display[b.action], b.description) for b, _, _ in bindings if b.action == ALWAYS
    )
    for entry in bindings:
        binding = entry[0]
        cost = key_cost(display[binding.action], binding.description)
        reserve = (
            0
            if binding.action == ALWAYS or any(b.action == ALWAYS for b, _, _ in chosen)
            else help_cost
        )
        if used + cost + reserve > width:
            if binding.action == ALWAYS:
                chosen.append(entry)
            continue
        chosen.append(entry)
        used += cost
    return chosen


class KeyFooter(Footer):
    class Ready(Message):
        """The footer's keys are on screen for the first time: it is painted last, so the
        first full frame is. What can wait (hidden tabs, the engine's first polls) waits
        for this."""

    _announced = False
    _shown: tuple[tuple[str, str, str, bool, str], ...] | None = None  # what compose drew
    _first_pending = False  # the first keys' recompose is scheduled

    def _chosen(self) -> tuple[list[tuple[Binding, bool, str]], dict[str, str]]:
        seen: set[str] = set()
        bindings: list[tuple[Binding, bool, str]] = []
        for _, binding, enabled, tooltip in self.screen.active_bindings.values():
            if binding.show and binding.action not in seen:
                seen.add(binding.action)
                bindings.append((binding, enabled, tooltip))
        display = {b.action: self.app.get_key_display(b) for b, _, _ in bindings}
        return fit(by_importance(bindings), self.app.size.width - 1, display), display

    @staticmethod
    def _signature(
        chosen: list[tuple[Binding, bool, str]], display: dict[str, str]
    ) -> tuple[tuple[str, str, str, bool, str], ...]:
        return tuple(
            (b.action, display[b.action], b.description, enabled, tooltip)
            for b, enabled, tooltip in chosen
        )

    def bindings_changed(self, screen: Screen[object]) -> None:
        if self._shown is None and self.is_attached and screen is self.screen:
            # the first keys, composed as the screen announces them rather than after the
            # next refresh: the first layout and paint have them, not a second pass (keys
            # that change later are compared and drawn again below, as before)
            self._bindings_ready = True
            if self.app.app_focus and not self._first_pending:
                self._first_pending = True  # announced again before it ran: once is enough
                self.call_later(self.recompose)
            return
        # a tab switch re-announces the same keys: redrawn, they were 2.4 KB of every
        # switch at 80x24; only a different set of keys is drawn again
        if not (self._shown is not None and self.is_attached and screen is self.screen):
            super().bindings_changed(screen)
            return
        wanted = self._signature(*self._chosen())
        if wanted == self._shown:
            return
        # a switch announces its keys twice (focus moves, then the tab is activated):
        # one recompose (pending until after the next refresh) draws them; a second one
        # drew the footer again, ~1 KB more per switch. Textual draws nothing while the
        # terminal has lost focus (it announces the keys again on focus): noted only then.
        if screen.app.app_focus:
            self._shown = wanted
        super().bindings_changed(screen)

    def _announce_when_drawn(self) -> None:
        """Ready once a refresh has written the keys. Textual writes nothing while the
        app is in its start-up batch (its Mount): a refresh there lays out and paints for
        nothing, and announcing then (when the main screen was pushed from the app's
        on_mount) started the hidden tabs' mounts and the engine before the frame was
        on screen (0.1 s)."""
        if self.app._batch_count:
            self.call_after_refresh(self._announce_when_drawn)
            return
        self.post_message(self.Ready())

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        chosen, display = self._chosen()
        self._shown = self._signature(chosen, display)
        self.styles.grid_size_columns = len(chosen)
        if chosen and not self._announced:
            self._announced = True
            self.call_after_refresh(self._announce_when_drawn)
        for binding, enabled, tooltip in chosen:
            yield FooterKey(
                binding.key,
                display[binding.action],
                binding.description,
                binding.action,
                disabled=not enabled,
                tooltip=tooltip,
            ).data_bind(compact=Footer.compact)

    def on_resize(self) -> None:
        self.call_after_refresh(self.recompose)
