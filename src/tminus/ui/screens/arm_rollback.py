"""Arming the rollback: the firing triggers, the launch name typed exactly, and a reason.
Returns (typed name, reason); escape cancels at every point and records nothing."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from tminus.ui.keys import MODAL_HELP_BINDINGS
from tminus.ui.markup import escape


class ArmRollback(ModalScreen[tuple[str, str] | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape",
            "cancel",
            "Cancel",
            id="cancel",
            tooltip="Leave without arming; nothing is recorded",
        ),
        *MODAL_HELP_BINDINGS,
    ]
    HELP_TITLE = "arming the rollback"
    DEFAULT_CSS = """
    ArmRollback { align: center middle; }
    ArmRollback > Vertical {
        width: 76; max-width: 95%; height: auto; padding: 1 2;
        background: $surface; border: round $error;
    }
    ArmRollback Input { margin-bottom: 1; }
    ArmRollback .hint { color: $text-muted; }
    ArmRollback #arm-error { color: $error; }
    """

    def __init__(self, launch_name: str, firing: list[str]) -> None:
        super().__init__()
        self.launch_name = launch_name
        self.firing = firing

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("[b]Arm the rollback[/b]")
            fired = ", ".join(self.firing) if self.firing else "none (a decision of the commander)"
            yield Label(f"Triggers firing: {escape(fired)}")
            yield Label(f"Type the launch name, [b]{escape(self.launch_name)}[/b], to arm:")
            yield Input(placeholder="launch name", id="arm-name")
            yield Input(placeholder="reason (required)", id="arm-reason")
            yield Label("", id="arm-error")
            yield Label("enter to arm · esc to cancel (nothing is recorded)", classes="hint")

    def on_mount(self) -> None:
        self.query_one("#arm-name", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        name = self.query_one("#arm-name", Input).value
        reason = self.query_one("#arm-reason", Input).value.strip()
        error = self.query_one("#arm-error", Label)
        if name != self.launch_name:
            error.update("The name does not match: type it exactly.")
            self.query_one("#arm-name", Input).focus()
            return
        if not reason:
            error.update("A reason is required.")
            self.query_one("#arm-reason", Input).focus()
            return
        self.dismiss((name, reason))

    def action_cancel(self) -> None:
        self.dismiss(None)
