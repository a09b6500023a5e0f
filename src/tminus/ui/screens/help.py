"""`?`: every key of the current console, from the same binding table as the footer."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from tminus.ui.keys import (
    APP_BINDINGS,
    CONSOLE_BINDINGS,
    MUTATING,
    ROLLOUT_BINDINGS,
    STATUS_SYMBOLS,
    key_label,
)


def help_text(
    read_only: bool,
    keys: Callable[[Binding], str] | None = None,
    extra: Sequence[Binding] = (),
) -> str:
    """`keys` gives a binding's key as the user remapped it (default: as declared);
    `extra` are a console's own keys (replay's time cursor)."""
    lines = ["[b]Keys[/b]"]
    for b in [*extra, *CONSOLE_BINDINGS, *APP_BINDINGS]:
        if read_only and b.action in MUTATING:
            continue
        if b.action.startswith("switch_tab"):
            continue
        key = keys(b) if keys is not None else b.key_display or b.key
        lines.append(f"  [b]{key:<6}[/b] {b.description}: {b.tooltip}")
    if not read_only:  # a read-only console binds none of the Rollout tab's keys
        lines.append("  [dim]On the Rollout tab:[/dim]")
        for b in ROLLOUT_BINDINGS:
            key = keys(b) if keys is not None else b.key_display or b.key
            lines.append(f"  [b]{key:<6}[/b] {b.description}: {b.tooltip}")
    lines.append("  [b]1-9[/b]    switch to tab 1-9")
    lines.append("  [b]ctrl+p[/b] command palette: every action above, themes, quit")
    lines.append("  [b]tab[/b]    move focus · arrows / page keys move in the list")
    if read_only:
        lines.append("")
        lines.append(
            "[b]READ-ONLY[/b]: running checks, confirming, notes, sign-off and traffic"
            " changes are not offered."
        )
    lines.append("")
    lines.append("[b]Symbols[/b]")
    for symbol, meaning in STATUS_SYMBOLS.values():
        lines.append(f"  {symbol}  {meaning}")
    return "\n".join(lines)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "close", "Close", id="close"),
        Binding("question_mark", "close", "Close", id="close-help", show=False),
        Binding("q", "close", "Close", id="close-quit", show=False),
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical {
        width: 100; max-width: 95%; height: 90%; padding: 0 1;
        background: $surface; border: round $primary;
    }
    HelpScreen .hint { color: $text-muted; }
    """

    def __init__(
        self,
        read_only: bool,
        keymap: dict[str, str] | None = None,
        extra: Sequence[Binding] = (),
    ) -> None:
        super().__init__()
        self.read_only = read_only
        self.keymap = keymap or {}
        self.extra = extra

    def compose(self) -> ComposeResult:
        with Vertical():
            with VerticalScroll():
                keys = partial(key_label, self.app, keymap=self.keymap)
                yield Static(help_text(self.read_only, keys, self.extra), id="help-text")
            yield Label("esc to close", classes="hint")

    def action_close(self) -> None:
        self.dismiss(None)
