"""Preview and confirm a traffic change: exactly what will be sent, region by region.

Returns the override reason ("" when none is needed), or None when cancelled (escape):
cancelling changes nothing and records nothing.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from tminus.actions.actuators.base import Change
from tminus.engine.rollout import Move
from tminus.ui.keys import MODAL_HELP_BINDINGS
from tminus.ui.markup import escape


class RolloutConfirm(ModalScreen[str | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape",
            "cancel",
            "Cancel",
            id="rollout-cancel",
            tooltip="Leave; traffic does not change",
        ),
        Binding(
            "ctrl+y",
            "confirm",
            "Apply",
            id="rollout-confirm",
            show=False,
            tooltip="Apply the change shown (as enter does)",
        ),
        *MODAL_HELP_BINDINGS,
    ]
    HELP_TITLE = "confirm a traffic change"
    DEFAULT_CSS = """
    RolloutConfirm { align: center middle; }
    RolloutConfirm > Vertical {
        width: 90; max-width: 98%; height: auto; max-height: 95%; padding: 0 1;
        background: $surface; border: round $primary;
    }
    RolloutConfirm.override > Vertical { border: round $warning; }
    RolloutConfirm #rollout-title { text-style: bold; width: 1fr; }
    RolloutConfirm #rollout-preview { height: auto; max-height: 12; }
    RolloutConfirm .reasons { color: $warning; }
    RolloutConfirm .hint { color: $text-muted; }
    """

    def __init__(self, move: Move, changes: list[Change], *, actuator: str) -> None:
        super().__init__()
        self.move = move
        self.changes = changes
        self.actuator = actuator

    def compose(self) -> ComposeResult:
        move = self.move
        self.set_class(move.needs_override, "override")
        with Vertical():
            verb = {"up": "Raise", "down": "Lower"}.get(move.direction, "Re-apply")
            yield Label(
                f"{verb} canary traffic {move.current}% → {move.target}% ({self.actuator})",
                id="rollout-title",
            )
            lines = [line for change in self.changes for line in change.lines()]
            with VerticalScroll(id="rollout-preview"):
                yield Static(escape("\n".join(lines)), id="rollout-changes")
            for note in move.notes:
                yield Label(escape(note), classes="hint")
            if move.needs_override:
                why = "\n".join(f"• {r}" for r in move.reasons)
                yield Label(escape(f"Override needed:\n{why}"), classes="reasons")
                yield Input(placeholder="why override? (required, recorded)", id="override")
                yield Label("enter to apply with this reason · esc to cancel", classes="hint")
            else:
                yield Input(placeholder="press enter to apply", id="override")
                yield Label("enter to apply · esc to cancel (nothing changes)", classes="hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_confirm()

    def action_confirm(self) -> None:
        reason = self.query_one(Input).value.strip()
        if self.move.needs_override and not reason:
            self.notify("An override needs a reason; it is recorded.", severity="warning")
            return
        self.dismiss(reason if self.move.needs_override else "")

    def action_cancel(self) -> None:
        self.dismiss(None)
