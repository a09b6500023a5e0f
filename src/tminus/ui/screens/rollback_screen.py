"""The guarded rollback: triggers with their live state, the plan's steps, and the keys to
arm (type the launch name), run the steps, dry-run them, and handle triggers.

Keys exist only when they can do something: a read-only console has no arm, run or
trigger keys at all, and the engine refuses them too.
"""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen

from tminus.engine.console import ConsoleEngine, ReadOnlyError
from tminus.engine.rollback import Decision, RollbackRefused, Situation
from tminus.engine.rollback_state import StepRun
from tminus.engine.session import Event
from tminus.engine.trigger_lifecycle import TriggerRefused
from tminus.plan.model import RollbackStep
from tminus.ui.keys import ROLLBACK_BINDINGS, ROLLBACK_MUTATING
from tminus.ui.screens.arm_rollback import ArmRollback
from tminus.ui.screens.choose_with_note import ChooseWithNote
from tminus.ui.screens.dry_run import DryRunScreen
from tminus.ui.screens.step_decision import StepDecision
from tminus.ui.signals import signals
from tminus.ui.widgets.key_footer import KeyFooter
from tminus.ui.widgets.launch_header import LaunchHeader
from tminus.ui.widgets.rollback_steps import RollbackSteps
from tminus.ui.widgets.trigger_states import TriggerStates

REFUSALS = (RollbackRefused, TriggerRefused, ReadOnlyError)


class RollbackScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [*ROLLBACK_BINDINGS]
    HELP_TITLE = "rollback screen"
    DEFAULT_CSS = """
    RollbackScreen #rollback-body { padding: 0 1; }
    RollbackScreen RollbackSteps { margin-top: 1; }
    """

    def __init__(self, engine: ConsoleEngine) -> None:
        super().__init__()
        self.engine = engine

    def compose(self) -> ComposeResult:
        yield LaunchHeader(self.engine, id="rollback-header")
        with VerticalScroll(id="rollback-body"):
            yield TriggerStates(self.engine, id="rollback-triggers")
            yield RollbackSteps(self.engine, id="rollback-steps")
        yield KeyFooter(compact=True, show_command_palette=False)

    def help_elsewhere(self) -> list[tuple[str, list[Binding]]]:
        """The keys this screen offers once they apply (arm, run, ack...)."""
        read_only = self.engine.read_only
        keys = [b for b in ROLLBACK_BINDINGS if not (read_only and b.action in ROLLBACK_MUTATING)]
        return [("When they apply", keys)]

    def on_mount(self) -> None:
        signals(self).session_signal.subscribe(self, self._on_event)

    def _on_event(self, event: Event) -> None:
        if event.type.startswith(("rollback.", "trigger.")):
            self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        engine = self.engine
        if action == "arm":
            return engine.rollback.can_arm
        if action == "proceed":
            return engine.rollback.can_proceed
        if action == "acknowledge":
            return not engine.read_only and bool(engine.lifecycle.acknowledgeable())
        if action in ("clear_trigger", "withdraw"):
            return not engine.read_only and bool(engine.lifecycle.manual_firing())
        return True

    # ------------------------------------------------------------ actions
    def action_back(self) -> None:
        self.dismiss(None)

    def _intent(self, coro: object) -> None:
        self._run_intent(coro)

    @work(group="rollback-intents", exit_on_error=False)
    async def _run_intent(self, coro: object) -> None:
        try:
            await coro  # type: ignore[misc]
        except REFUSALS as exc:
            self.notify(str(exc), severity="error")
        self.refresh_bindings()

    def action_arm(self) -> None:
        if not self.engine.rollback.can_arm:
            return
        firing = [t.id for t in self.engine.state.firing]

        def done(answer: tuple[str, str] | None) -> None:
            if answer is not None:
                name, reason = answer
                self._intent(self.engine.rollback.arm(name, reason))

        self.app.push_screen(ArmRollback(self.engine.plan.launch.name, firing), done)

    def action_proceed(self) -> None:
        if self.engine.rollback.can_proceed:
            self._proceed()

    @work(group="rollback", exclusive=True, exit_on_error=False)
    async def _proceed(self) -> None:
        try:
            await self.engine.rollback.proceed(self)
        except REFUSALS as exc:
            self.notify(str(exc), severity="error")
        self.refresh_bindings()

    async def decide(
        self, step: RollbackStep, situation: Situation, run: StepRun
    ) -> Decision | None:
        """The engine asks; a modal answers (escape: None, the rollback pauses)."""
        output = self.engine.rollback.output(step.id)
        answer: Decision | None = await self.app.push_screen_wait(
            StepDecision(step, situation, run, output)
        )
        return answer

    @work(group="rollback-preview", exclusive=True, exit_on_error=False)
    async def action_dry_run(self) -> None:
        preview = await self.engine.rollback.preview()
        await self.app.push_screen(DryRunScreen(preview))

    def _choose_trigger(
        self, title: str, triggers: list[tuple[str, str]], placeholder: str, intent: object
    ) -> None:
        def done(choice: tuple[str, str] | None) -> None:
            if choice is not None:
                trigger_id, note = choice
                self._intent(intent(trigger_id, note))  # type: ignore[operator]

        self.app.push_screen(
            ChooseWithNote(title, triggers, placeholder=placeholder, verb="record"), done
        )

    def action_acknowledge(self) -> None:
        triggers = [(t.id, t.title) for t in self.engine.lifecycle.acknowledgeable()]
        if triggers:
            self._choose_trigger(
                "Acknowledge a trigger",
                triggers,
                "note (required)",
                self.engine.acknowledge_trigger,
            )

    def action_clear_trigger(self) -> None:
        triggers = [(t.id, t.title) for t in self.engine.lifecycle.manual_firing()]
        if triggers:
            self._choose_trigger(
                "Clear a declared trigger: it is over",
                triggers,
                "why it is over (required)",
                self.engine.clear_trigger,
            )

    def action_withdraw(self) -> None:
        triggers = [(t.id, t.title) for t in self.engine.lifecycle.manual_firing()]
        if triggers:
            self._choose_trigger(
                "Withdraw a mistaken declaration",
                triggers,
                "why it was a mistake (required)",
                self.engine.withdraw_trigger,
            )
