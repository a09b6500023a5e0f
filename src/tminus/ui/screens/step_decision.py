"""What to do with a rollback step a person must decide on: a manual step (done, with a
note), a dangerous one (asks again; the highlighted answer is not to run it), an optional
one, or one that failed (retry, skip with a reason, abort). Returns a Decision; escape
pauses the rollback and records nothing."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from tminus.engine.rollback import Choice, Decision, Situation
from tminus.engine.rollback_state import StepRun
from tminus.plan.model import RollbackStep
from tminus.ui.keys import MODAL_HELP_BINDINGS
from tminus.ui.markup import escape

# situation -> (choice, label, needs text); the first is highlighted
CHOICES: dict[str, list[tuple[Choice, str, bool]]] = {
    "manual": [
        ("done", "Done: I did it (note required)", True),
        ("skip", "Skip it (reason required)", True),
        ("abort", "Abort the rollback (reason required)", True),
    ],
    "dangerous": [
        ("skip", "Do not run it: skip (reason required)", True),
        ("run", "Run it: I am sure", False),
        ("abort", "Abort the rollback (reason required)", True),
    ],
    "optional": [
        ("run", "Run it", False),
        ("skip", "Skip it, not needed (reason required)", True),
        ("abort", "Abort the rollback (reason required)", True),
    ],
    "failed": [
        ("retry", "Retry it", False),
        ("skip", "Skip it (reason required)", True),
        ("abort", "Abort the rollback (reason required)", True),
    ],
}
TITLES = {
    "manual": "Done by a person",
    "dangerous": "DANGEROUS step: run it?",
    "optional": "Optional step: run it?",
    "failed": "The step failed",
}


class StepDecision(ModalScreen[Decision | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape",
            "cancel",
            "Pause",
            id="cancel",
            tooltip="Pause the rollback here; nothing is recorded",
        ),
        *MODAL_HELP_BINDINGS,
    ]
    HELP_TITLE = "a rollback step needs a decision"
    DEFAULT_CSS = """
    StepDecision { align: center middle; }
    StepDecision > Vertical {
        width: 76; max-width: 95%; height: auto; padding: 1 2;
        background: $surface; border: round $primary;
    }
    StepDecision.danger > Vertical { border: round $error; }
    StepDecision OptionList { height: auto; max-height: 5; margin: 1 0; }
    StepDecision .hint { color: $text-muted; }
    StepDecision #decision-output { color: $text-muted; }
    """

    def __init__(
        self, step: RollbackStep, situation: Situation, run: StepRun, output: list[str]
    ) -> None:
        danger = situation in ("dangerous", "failed")
        super().__init__(classes="danger" if danger else "")
        self.step = step
        self.situation = situation
        self.run = run
        self.output = output
        self.choices = CHOICES[situation]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"[b]{TITLES[self.situation]}[/b]")
            yield Label(escape(self.step.title))
            if self.step.runbook:
                yield Label(f"[dim]{escape(self.step.runbook)}[/dim]")
            if self.situation == "failed":
                status = "interrupted" if self.run.status == "interrupted" else "failed"
                tail = "\n".join(self.output[-3:]) or status
                yield Label(escape(tail), id="decision-output")
            yield OptionList(
                *[Option(escape(label), id=choice) for choice, label, _ in self.choices],
                id="decision-choice",
            )
            yield Input(placeholder="note or reason", id="decision-text")
            yield Label("enter to choose · esc to pause (nothing is recorded)", classes="hint")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = 0  # for a dangerous step: not running it
        options.focus()

    def _chosen(self) -> tuple[Choice, bool] | None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            return None
        choice, _, needs_text = self.choices[options.highlighted]
        return choice, needs_text

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        chosen = self._chosen()
        if chosen is None:
            return
        choice, needs_text = chosen
        if needs_text:
            self.query_one(Input).focus()
        else:
            self.dismiss(Decision(choice))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        chosen = self._chosen()
        text = event.value.strip()
        if chosen is None:
            return
        choice, needs_text = chosen
        if needs_text and not text:
            self.notify("A note or reason is required.", severity="warning")
            return
        self.dismiss(Decision(choice, text))

    def action_cancel(self) -> None:
        self.dismiss(None)
