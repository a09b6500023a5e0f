"""Phase sign-off (go/no-go): lists what blocks it, or asks for the commander's note."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from tminus.core.values import format_seconds
from tminus.engine.console import Blocker
from tminus.plan.model import Item, Phase
from tminus.ui.keys import MODAL_HELP_BINDINGS
from tminus.ui.markup import escape

SHOWN_BLOCKERS = 30


class SignOffScreen(ModalScreen[str | None]):
    """Returns the sign-off note, or None when cancelled or refused."""

    BINDINGS = [
        Binding("escape", "cancel", "Close", id="cancel", tooltip="Leave without signing off"),
        Binding(
            "ctrl+r",
            "rerun",
            "Re-run stale",
            id="rerun-stale",
            tooltip="Re-run the checks whose result is too old to sign on",
        ),
        *MODAL_HELP_BINDINGS,
    ]
    HELP_TITLE = "phase sign-off"
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

    def __init__(
        self,
        phase: Phase,
        blockers: list[Blocker],
        stale: list[tuple[Item, float]] | None = None,
        rerun: Callable[[list[str]], None] | None = None,
    ) -> None:
        super().__init__()
        self.phase = phase
        self.blockers = blockers
        self.stale = stale or []  # green, but older than the plan's fresh_within
        self.rerun = rerun

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
                if self.stale:
                    n = len(self.stale)
                    shown = "; ".join(
                        f"{escape(item.title)} ({format_seconds(age)} ago)"
                        for item, age in self.stale[:5]
                    )
                    yield Static(
                        f"[b]Warning[/b]: {n} blocking result{'s are' if n != 1 else ' is'}"
                        f" older than fresh_within: {shown}"
                        + (f"; and {n - 5} more" if n > 5 else ""),
                        id="stale",
                    )
                yield Input(placeholder="go/no-go note (required)", id="signoff-note")
                hint = "enter to sign off · esc to cancel"
                if self.stale and self.rerun is not None:
                    hint = "enter to sign off anyway · ctrl+r re-run them · esc to cancel"
                yield Label(hint, classes="hint")

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

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "rerun":
            return bool(self.stale) and self.rerun is not None and not self.blockers
        return True

    def action_rerun(self) -> None:
        if self.rerun is not None:
            self.rerun([item.id for item, _ in self.stale])
        self.dismiss(None)
