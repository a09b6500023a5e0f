"""Declare a manual rollback trigger: pick which, say why. Esc cancels."""

from __future__ import annotations

from typing import ClassVar

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from tminus.plan.model import Trigger


class DeclareTriggerScreen(ModalScreen[tuple[str, str] | None]):
    """Returns (trigger id, note) or None."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="cancel")]
    DEFAULT_CSS = """
    DeclareTriggerScreen { align: center middle; }
    DeclareTriggerScreen > Vertical {
        width: 70; max-width: 95%; height: auto; padding: 1 2;
        background: $surface; border: round $error;
    }
    DeclareTriggerScreen OptionList { height: auto; max-height: 8; margin-bottom: 1; }
    DeclareTriggerScreen .hint { color: $text-muted; }
    """

    def __init__(self, triggers: list[Trigger]) -> None:
        super().__init__()
        self.triggers = triggers

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("[b]Declare a rollback trigger[/b]")
            yield OptionList(
                *[Option(escape(t.title), id=t.id) for t in self.triggers], id="trigger-choice"
            )
            yield Input(placeholder="what was seen (required)", id="trigger-note")
            yield Label("enter to declare · esc to cancel", classes="hint")

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
            self.notify("Say what was seen.", severity="warning")
            return
        if options.highlighted is None:
            return
        option = options.get_option_at_index(options.highlighted)
        self.dismiss((str(option.id), note))

    def action_cancel(self) -> None:
        self.dismiss(None)
