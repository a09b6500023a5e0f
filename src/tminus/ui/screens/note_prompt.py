"""A small modal asking for a line of text (a confirmation note, a note). Esc cancels."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from tminus.ui.keys import MODAL_HELP_BINDINGS
from tminus.ui.markup import escape


class NotePrompt(ModalScreen[str | None]):
    """Returns the text entered (possibly empty), or None when cancelled."""

    BINDINGS = [
        Binding(
            "escape",
            "cancel",
            "Cancel",
            id="cancel",
            tooltip="Leave without saving; nothing is recorded",
        ),
        *MODAL_HELP_BINDINGS,
    ]
    HELP_TITLE = "a note"
    DEFAULT_CSS = """
    NotePrompt { align: center middle; }
    NotePrompt > Vertical {
        width: 70; max-width: 95%; height: auto; padding: 1 2;
        background: $surface; border: round $primary;
    }
    NotePrompt Label { width: 1fr; margin-bottom: 1; }
    NotePrompt .hint { color: $text-muted; margin: 0; }
    """

    def __init__(self, title: str, placeholder: str = "", *, required: bool = False) -> None:
        super().__init__()
        self.title_text = title
        self.placeholder = placeholder
        self.required = required

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(escape(self.title_text))
            yield Input(placeholder=self.placeholder, id="note-input")
            need = "required" if self.required else "optional"
            yield Label(f"enter to confirm ({need}) · esc to cancel", classes="hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if self.required and not text:
            self.notify("A note is required here.", severity="warning")
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        self.dismiss(None)
