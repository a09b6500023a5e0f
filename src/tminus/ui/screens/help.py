"""`?` (or f1): the keys of the screen it was opened on, generated from that screen's
binding table as the keys reach it right now (focused widget, screen, app), remapped by
`[keymap]`, and without the keys the screen does not offer (a read-only console's).

A screen may add `help_title()` (what the heading calls it), `help_elsewhere()` (keys it
offers in another state or tab, as (where, bindings)) and `HELP_SYMBOLS` (list the status
symbols)."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, Static

from tminus.core.records import record
from tminus.ui.keys import STATUS_SYMBOLS, key_label
from tminus.ui.markup import escape

MIN_KEY_WIDTH = 6
CLOSE_TIP = "Close this help"


@record
class KeyLine:
    keys: list[str]  # as the user presses them, remapped or not
    text: str  # description: tooltip


@record
class Section:
    title: str
    lines: list[KeyLine]


def _text(b: Binding) -> str:
    description = b.description or b.action.split("(")[0].replace("_", " ").capitalize()
    return f"{description}: {b.tooltip}" if b.tooltip else description


def _join(keys: list[str]) -> str:
    """Keys of one action, `1-6` for a run of tab numbers."""
    if len(keys) > 2 and all(k.isdigit() and len(k) == 1 for k in keys):
        numbers = sorted(int(k) for k in keys)
        if numbers == list(range(numbers[0], numbers[-1] + 1)):
            return f"{numbers[0]}-{numbers[-1]}"
    return " ".join(dict.fromkeys(keys))


def _group(pairs: Sequence[tuple[str, Binding]]) -> list[KeyLine]:
    """One line per text: the keys that do the same thing share it."""
    lines: dict[str, KeyLine] = {}
    for key, binding in pairs:
        text = _text(binding)
        line = lines.setdefault(text, KeyLine([], text))
        if key not in line.keys:
            line.keys.append(key)
    return list(lines.values())


def _textual_keys_joined(app: Any, pairs: list[tuple[str, Binding]]) -> list[tuple[str, Binding]]:
    """Textual's own binding for an action the project binds too (its `^q` quit beside
    our `q`) joins the project's line, after its key, with the project's text: one Quit
    line, not two that seem to differ. (The project's bindings carry an id; Textual's not.)"""
    ours = {b.action: b for b in getattr(app, "BINDINGS", ()) if isinstance(b, Binding) and b.id}
    ours.update({b.action: b for _, b in pairs if b.id})
    listed = {id(b) for _, b in pairs}
    joining: dict[str, list[str]] = {}
    out: list[tuple[str, Binding]] = []
    for key, b in pairs:
        mine = None if b.id else ours.get(b.action)
        if mine is None:
            out.append((key, b))
        elif id(mine) in listed:  # our line is there: the key goes onto it
            joining.setdefault(b.action, []).append(key)
        else:  # only Textual's key reaches this screen: listed with our text
            out.append((key, mine))
    joined: list[tuple[str, Binding]] = []
    for key, b in out:
        joined.append((key, b))
        if b.id and b.action in joining:
            joined += [(k, b) for k in joining.pop(b.action)]
    return joined


def screen_sections(screen: Screen[Any]) -> list[Section]:
    """What the help lists for `screen`: its active keys, then its keys for elsewhere."""
    app = screen.app
    own: list[tuple[str, Binding]] = []
    builtin: list[tuple[str, Binding]] = []
    listed: set[str] = set()
    for active in screen.active_bindings.values():
        b = active.binding
        # the project's bindings all carry a tooltip; Textual's own (moving, scrolling) not
        (own if b.tooltip else builtin).append((app.get_key_display(b), b))
        listed.add(b.id or b.action)
    title = screen.help_title() if hasattr(screen, "help_title") else _title(screen)
    sections = [Section(f"Keys: {title}", _group(_textual_keys_joined(app, own)))]
    if builtin:
        sections.append(Section(f"Moving and editing: {title}", _group(builtin)))
    keymap: dict[str, str] = getattr(app, "user_keymap", {})
    for where, bindings in getattr(screen, "help_elsewhere", lambda: [])():
        pairs = [
            (key_label(app, b, keymap), b) for b in bindings if (b.id or b.action) not in listed
        ]
        if pairs:
            sections.append(Section(where, _group(pairs)))
    return sections


def _title(screen: Screen[Any]) -> str:
    return str(getattr(screen, "HELP_TITLE", "") or type(screen).__name__)


def _entry(keys: str, text: str, width: int, key_width: int) -> list[str]:
    """One line, wrapped to `width`, its wrapped lines starting where its text starts."""
    indent = " " * (2 + key_width + 1)
    body = textwrap.wrap(text, max(20, width - len(indent))) or [""]
    pad = " " * (key_width - len(keys))  # padded before escaping: `[` takes one cell
    first = f"  [b]{escape(keys)}{pad}[/b] {escape(body[0])}"
    return [first] + [indent + escape(line) for line in body[1:]]


def render_help(
    sections: Sequence[Section],
    *,
    width: int = 96,
    read_only: bool = False,
    symbols: bool = False,
) -> str:
    """The help's markup: one block per section, every key column as wide as its widest."""
    key_width = max([MIN_KEY_WIDTH, *(len(_join(line.keys)) for s in sections for line in s.lines)])
    out: list[str] = []
    if read_only:  # first: why the keys that change the launch are missing
        out += ["[b]READ-ONLY[/b]: keys that change the launch are not offered here.", ""]
    for section in sections:
        if out and out[-1]:
            out.append("")
        out.append(f"[b]{escape(section.title)}[/b]")
        for line in section.lines:
            out += _entry(_join(line.keys), line.text, width, key_width)
    if symbols:
        out += ["", "[b]Symbols[/b]"]
        out += [f"  {symbol}  {meaning}" for symbol, meaning in STATUS_SYMBOLS.values()]
    return "\n".join(out)


class HelpScreen(ModalScreen[None]):
    HELP_TITLE = "this help"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="close", tooltip="Close this help"),
        Binding(
            "question_mark",
            "close",
            "Close",
            id="close-help",
            show=False,
            tooltip="Close this help",
        ),
        Binding("q", "close", "Close", id="close-quit", show=False, tooltip="Close this help"),
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical {
        width: 100; max-width: 95%; height: 90%; padding: 0 1;
        background: $surface; border: round $primary;
    }
    HelpScreen .hint { color: $text-muted; }
    """

    def __init__(self, screen: Screen[Any], *, read_only: bool = False) -> None:
        """`screen`: the one the help is about, read now while its focus is still there."""
        super().__init__()
        self.sections = screen_sections(screen)
        self.read_only = read_only
        self.symbols = bool(getattr(screen, "HELP_SYMBOLS", False))

    def compose(self) -> ComposeResult:
        with Vertical():
            with VerticalScroll():
                yield Static(self._text(self.sections), id="help-text")
            yield Label("esc to close", classes="hint")

    def on_mount(self) -> None:
        # this help's own keys too, once they are there (scrolling comes with the focus)
        self.query_one("#help-text", Static).update(
            self._text([*self.sections, *screen_sections(self)])
        )

    def _text(self, sections: list[Section]) -> str:
        width = min(100, int(self.app.size.width * 0.95)) - 8  # border, padding, bar
        return render_help(sections, width=width, read_only=self.read_only, symbols=self.symbols)

    def action_close(self) -> None:
        self.dismiss(None)
