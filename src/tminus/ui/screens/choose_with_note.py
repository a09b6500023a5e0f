"""Pick one of a few things and say why: declaring a manual trigger, confirming a
criterion. Esc cancels."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from tminus.ui.keys import MODAL_HELP_BINDINGS
from tminus.ui.markup import escape


class ChooseWithNote(ModalScreen[tuple[str, str] | None]):
    """Returns (chosen id, note) or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape",
            "cancel",
            "Cancel",
            id="cancel",
            tooltip="Leave without choosing; nothing is recorded",
        ),
        *MODAL_HELP_BINDINGS,
    ]
    HELP_TITLE = "choose and give a reason"
    DEFAULT_CSS = """
    ChooseWithNote { align: center middle; }
    ChooseWithNote > Vertical {
        width: 70; max-width: 95%; height: auto; padding: 1 2;
        background: $surface; border: round $primary;
    }
    ChooseWithNote.danger > Vertical { border: round $error; }
    ChooseWithNote OptionList { height: auto; max-height: 8; margin-bottom: 1; }
    ChooseWithNote .hint { color: $text-muted; }
    """

    def __init__(
        self,
        title: str,
        options: list[tuple[str, str]],
        *,
        placeholder: str = "note (required)",
        verb: str = "confirm",
        danger: bool = False,
    ) -> None:
        super().__init__(classes="danger" if danger else "")
        self.title_text = title
        self.options = options
        self.placeholder = placeholder
        self.verb = verb

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"[b]{escape(self.title_text)}[/b]")
            yield OptionList(
                *[Option(escape(label), id=key) for key, label in self.options], id="choice"
            )
            yield Input(placeholder=self.placeholder, id="choice-note")
            yield Label(f"enter to {self.verb} · esc to cancel", classes="hint")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = 0
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        note = event.value.strip()
        options = self.query_one(OptionList)
        if not note:
            self.notify("A note is required.", severity="warning")
            return
        if options.highlighted is None:
            return
        option = options.get_option_at_index(options.highlighted)
        self.dismiss((str(option.id), note))

    def action_cancel(self) -> None:
        self.dismiss(None)
