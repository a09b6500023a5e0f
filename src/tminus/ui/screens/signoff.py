"""Phase sign-off (go/no-go): lists what blocks it, or asks for the commander's note."""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from tminus.engine.console import Blocker
from tminus.plan.model import Phase

SHOWN_BLOCKERS = 30


class SignOffScreen(ModalScreen[str | None]):
    """Returns the sign-off note, or None when cancelled or refused."""

    BINDINGS = [Binding("escape", "cancel", "Close", id="cancel")]
    DEFAULT_CSS = """
    SignOffScreen { align: center middle; }
    SignOffScreen > Vertical {
        width: 90; max-width: 95%; height: auto; max-height: 90%; padding: 1 2;
        background: $surface; border: round $primary;
    }
    SignOffScreen.refused > Vertical { border: round $error; }
    SignOffScreen VerticalScroll { height: auto; max-height: 14; }
    SignOffScreen .hint { color: $text-muted; }
    """

    def __init__(self, phase: Phase, blockers: list[Blocker]) -> None:
        super().__init__()
        self.phase = phase
        self.blockers = blockers

    def compose(self) -> ComposeResult:
        with Vertical():
            if self.blockers:
                n = len(self.blockers)
                yield Label(
                    f"[b]Sign-off refused[/b]: {n} blocking item{'s' if n != 1 else ''} "
                    f"of {escape(self.phase.title)} not green"
                )
                lines = [f"✘ {escape(str(b))}" for b in self.blockers[:SHOWN_BLOCKERS]]
                if n > SHOWN_BLOCKERS:
                    lines.append(f"… and {n - SHOWN_BLOCKERS} more")
                with VerticalScroll():
                    yield Static("\n".join(lines), id="blockers")
                yield Label("esc to close", classes="hint")
            else:
                yield Label(
                    f"[b]Sign off {escape(self.phase.title)}[/b]: every blocking item is green."
                )
                yield Input(placeholder="go/no-go note (required)", id="signoff-note")
                yield Label("enter to sign off · esc to cancel", classes="hint")

    def on_mount(self) -> None:
        if self.blockers:
            self.add_class("refused")
        else:
            self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            self.notify("A sign-off needs a note.", severity="warning")
            return
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)
