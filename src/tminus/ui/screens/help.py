"""`?`: every key of the current console, from the same binding table as the footer."""

from __future__ import annotations

import textwrap
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
    ROLLBACK_BINDINGS,
    ROLLBACK_MUTATING,
    ROLLOUT_BINDINGS,
    STATUS_SYMBOLS,
    key_label,
)
from tminus.ui.markup import escape

KEY_WIDTH = 6
INDENT = " " * (2 + KEY_WIDTH + 1)  # where a key's text starts: wrapped lines start there

# keys that belong to a view rather than to the binding table's actions
VIEW_KEYS = [
    ("enter", "Chart: on a metric panel (Metrics tab), its chart at once"),
    ("1-4", "Chart range: in a chart, 15m / 1h / 6h / 24h; esc goes back"),
    ("arrows", "Move: in the list, or between metric panels on the Metrics tab"),
]


def _entry(key: str, text: str, width: int) -> list[str]:
    """One key's line, wrapped to `width` with its text's indent kept."""
    body = textwrap.wrap(text, max(20, width - len(INDENT))) or [""]
    first = f"  [b]{escape(key):<{KEY_WIDTH}}[/b] {escape(body[0])}"
    return [first] + [INDENT + escape(line) for line in body[1:]]


def help_text(
    read_only: bool,
    keys: Callable[[Binding], str] | None = None,
    extra: Sequence[Binding] = (),
    *,
    tabs: int = 9,
    width: int = 96,
) -> str:
    """`keys` gives a binding's key as the user remapped it (default: as declared);
    `extra` are a console's own keys (replay's time cursor); `tabs` is how many tabs
    this console has; lines wrap at `width`."""
    lines = ["[b]Keys[/b]"]
    seen: set[str] = set()
    for b in [*extra, *CONSOLE_BINDINGS, *APP_BINDINGS]:
        if read_only and b.action in MUTATING:
            continue
        if b.action.startswith("switch_tab") or b.key in seen:
            continue
        seen.add(b.key)
        key = keys(b) if keys is not None else b.key_display or b.key
        tip = b.tooltip
        if b.action == "confirm":
            tip += "; on the Metrics tab, a manual success criterion"
        lines += _entry(key, f"{b.description}: {tip}", width)
    if not read_only:  # a read-only console binds none of the Rollout tab's keys
        lines.append("  [dim]On the Rollout tab:[/dim]")
        for b in ROLLOUT_BINDINGS:
            key = keys(b) if keys is not None else b.key_display or b.key
            lines += _entry(key, f"{b.description}: {b.tooltip}", width)
    for key, text in VIEW_KEYS:
        lines += _entry(key, text, width)
    last = min(tabs, 9)
    lines += _entry(f"1-{last}" if last > 1 else "1", f"switch to tab 1-{last}", width)
    lines += _entry("ctrl+p", "command palette: every action above, themes, quit", width)
    lines += _entry("tab", "move focus", width)
    if read_only:
        lines.append("")
        lines.append(
            "[b]READ-ONLY[/b]: running checks, confirming, notes, sign-off and traffic"
            " changes are not offered."
        )
    lines.append("")
    lines.append("[b]On the rollback screen (x)[/b]")
    for b in ROLLBACK_BINDINGS:
        if read_only and b.action in ROLLBACK_MUTATING:
            continue
        key = keys(b) if keys is not None else b.key_display or b.key
        lines.append(f"  [b]{key:<6}[/b] {b.description}: {b.tooltip}")
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
        *,
        tabs: int = 9,
    ) -> None:
        super().__init__()
        self.read_only = read_only
        self.tabs = tabs
        self.keymap = keymap or {}
        self.extra = extra

    def compose(self) -> ComposeResult:
        with Vertical():
            with VerticalScroll():
                keys = partial(key_label, self.app, keymap=self.keymap)
                width = min(100, int(self.app.size.width * 0.95)) - 8  # border, padding, bar
                text = help_text(self.read_only, keys, self.extra, tabs=self.tabs, width=width)
                yield Static(text, id="help-text")
            yield Label("esc to close", classes="hint")

    def action_close(self) -> None:
        self.dismiss(None)
