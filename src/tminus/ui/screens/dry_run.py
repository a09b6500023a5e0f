"""The dry run: exactly what each rollback step would do. Nothing is changed or recorded."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from tminus.plan.model import RollbackStep
from tminus.ui.keys import MODAL_HELP_BINDINGS
from tminus.ui.markup import escape


class DryRunScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="close", tooltip="Back to the rollback screen"),
        *MODAL_HELP_BINDINGS,
    ]
    HELP_TITLE = "rollback dry run"
    DEFAULT_CSS = """
    DryRunScreen { align: center middle; }
    DryRunScreen > VerticalScroll {
        width: 100; max-width: 95%; height: auto; max-height: 90%; padding: 1 2;
        background: $surface; border: round $primary;
    }
    DryRunScreen .hint { color: $text-muted; }
    """

    def __init__(self, preview: list[tuple[RollbackStep, str]]) -> None:
        super().__init__()
        self.preview = preview

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Label("[b]Dry run: what each step would do[/b] (nothing has changed)")
            lines = [
                f"{n}. [b]{escape(step.title)}[/b]\n   {escape(text)}"
                for n, (step, text) in enumerate(self.preview, 1)
            ]
            yield Static("\n".join(lines), id="dry-run-steps")
            yield Label("esc to close", classes="hint")

    def action_close(self) -> None:
        self.dismiss(None)
