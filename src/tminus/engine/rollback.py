"""The guarded rollback: arm by typing the launch name, then the plan's steps in order.

Every state the screens show is folded from `rollback.*` events (engine.rollback_state),
so a resumed or read-only console shows the same rollback. The runner refuses what the
screens do not offer: arming with a wrong name, steps out of order, a dangerous step not
confirmed again, anything in a read-only console. `proceed()` runs steps until a person is
needed and asks through a `Prompts` object (the console's modals); a None answer (escape)
pauses without recording anything.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal, Protocol

from tminus.actions.steps import ActionContext, ActionFailed, step_action
from tminus.core.clock import Clock, SystemClock
from tminus.core.records import record
from tminus.engine.rollback_state import FINISHED, RollbackState, StepRun
from tminus.engine.state import SessionState
from tminus.plan.model import Plan, RollbackStep

if TYPE_CHECKING:
    from tminus.engine.session import Event, SessionWriter

OUTPUT_LINES = 12  # the live tail per step; the log keeps the same tail
Situation = Literal["manual", "dangerous", "optional", "failed"]
Choice = Literal["run", "retry", "done", "skip", "abort"]


class RollbackRefused(Exception):
    """An intent the rollback's state or the console's mode does not allow."""


@record(frozen=True)
class Decision:
    """A person's answer at a rollback step, with its reason or note."""

    choice: Choice
    text: str = ""  # the skip or abort reason, the manual step's note


class Prompts(Protocol):
    async def decide(
        self, step: RollbackStep, situation: Situation, run: StepRun
    ) -> Decision | None:
        """Ask a person; None means escape: pause, record nothing."""
        ...


OutputListener = Callable[[str], None]  # called with the step id whose tail grew


class RollbackRunner:
    def __init__(
        self,
        plan: Plan,
        state: SessionState,
        *,
        session: SessionWriter | None,
        actor: str,
        read_only: bool,
        context: Callable[[], ActionContext],
        clock: Clock | None = None,
    ) -> None:
        self.plan = plan
        self.clock: Clock = clock or SystemClock()  # a step's duration, in the console's time
        self.state = state
        self.session = session
        self.actor = actor
        self.read_only = read_only or session is None
        self._context = context
        self.live: dict[str, deque[str]] = {}  # step id -> output tail of this console's runs
        self.running: str | None = None
        self._listeners: list[OutputListener] = []

    # ------------------------------------------------------------ queries
    @property
    def rb(self) -> RollbackState:
        return self.state.rollback

    @property
    def steps(self) -> tuple[RollbackStep, ...]:
        return self.plan.rollback.steps

    def run_of(self, step_id: str) -> StepRun:
        return self.rb.step(step_id)

    def current(self) -> RollbackStep | None:
        """The first step not done or skipped: the only one that may run."""
        return next((s for s in self.steps if self.run_of(s.id).status not in FINISHED), None)

    @property
    def can_arm(self) -> bool:
        return not self.read_only and self.rb.phase != "armed"

    @property
    def can_proceed(self) -> bool:
        return not self.read_only and self.rb.phase == "armed" and self.running is None

    def output(self, step_id: str) -> list[str]:
        if step_id in self.live:
            return list(self.live[step_id])
        text = self.run_of(step_id).output
        return text.splitlines()[-OUTPUT_LINES:] if text else []

    def subscribe(self, listener: OutputListener) -> None:
        self._listeners.append(listener)

    def situation(self, step: RollbackStep) -> Situation | None:
        """What a person must decide before this step runs; None: it just runs."""
        if self.run_of(step.id).status in ("failed", "interrupted"):
            return "failed"
        if step.action is None:
            return "manual"
        if step.dangerous:
            return "dangerous"
        if step.optional:
            return "optional"
        return None

    async def preview(self) -> list[tuple[RollbackStep, str]]:
        """The dry run: exactly what each step would do. Changes nothing, records nothing."""
        ctx = self._context()
        out: list[tuple[RollbackStep, str]] = []
        for step in self.steps:
            if step.action is None:
                text = "a person does it and confirms with a note"
            else:
                try:
                    text = await step_action(step.action, ctx).preview()
                except ActionFailed as exc:
                    text = f"cannot run: {exc}"
            flags = [
                f
                for f, on in (
                    ("dangerous: asks again", step.dangerous),
                    ("optional: offered", step.optional),
                )
                if on
            ]
            out.append((step, f"{text}" + (f" [{'; '.join(flags)}]" if flags else "")))
        return out

    # ------------------------------------------------------------ intents
    def _writable(self) -> SessionWriter:
        if self.read_only or self.session is None:
            raise RollbackRefused("read-only: this console cannot arm or run a rollback")
        return self.session

    async def arm(self, typed_name: str, reason: str) -> Event:
        session = self._writable()
        if self.rb.phase == "armed":
            raise RollbackRefused("the rollback is already armed")
        if typed_name != self.plan.launch.name:
            raise RollbackRefused(
                f"type the launch name exactly ({len(self.plan.launch.name)} characters)"
            )
        if not reason.strip():
            raise RollbackRefused("say why: a reason is required")
        self.live.clear()
        return await session.emit(
            "rollback.armed",
            actor=self.actor,
            reason=reason.strip(),
            triggers=[t.id for t in self.state.firing],
            steps=[s.id for s in self.steps],
        )

    def _startable(self, step_id: str) -> RollbackStep:
        self._writable()
        if self.rb.phase != "armed":
            raise RollbackRefused("arm the rollback first")
        if self.running is not None:
            raise RollbackRefused(f"step {self.running} is still running")
        step = self.current()
        if step is None or step.id != step_id:
            raise RollbackRefused(
                f"steps run in order: the next one is {step.title if step else 'none'}"
            )
        return step

    async def run_step(self, step_id: str, *, confirmed: bool = False) -> StepRun:
        """Run the current step's action. A dangerous step needs `confirmed`."""
        step = self._startable(step_id)
        if step.action is None:
            raise RollbackRefused(f"{step.title} is done by a person: confirm it with a note")
        if step.dangerous and not confirmed:
            raise RollbackRefused(f"{step.title} is dangerous: confirm it again first")
        session = self._writable()
        ctx = self._context()
        index = self.steps.index(step)
        tail: deque[str] = deque(maxlen=OUTPUT_LINES)
        self.live[step.id] = tail
        self.running = step.id

        def out(line: str) -> None:
            tail.append(line.rstrip()[:300])
            for listener in list(self._listeners):
                listener(step.id)

        await session.emit(
            "rollback.step_started",
            actor=self.actor,
            step=step.id,
            index=index,
            title=step.title,
            kind=step.kind,
        )
        started = self.clock.monotonic()
        status, error = "done", ""
        try:
            await step_action(step.action, ctx).run(out)
        except ActionFailed as exc:
            status, error = "failed", str(exc)
        except Exception as exc:  # a bug in an action is a failed step, never a lost one
            status, error = "failed", f"internal error: {type(exc).__name__}: {exc}"
        finally:
            self.running = None
        if error:
            out(f"failed: {error}")
        await session.emit(
            "rollback.step_finished",
            actor=self.actor,
            step=step.id,
            status=status,
            error=error,
            output="\n".join(tail),
            duration_s=round(self.clock.monotonic() - started, 3),
        )
        await self._maybe_complete()
        return self.run_of(step.id)

    async def confirm_manual(self, step_id: str, note: str) -> None:
        """A person did the current (manual) step; the note says what was done."""
        step = self._startable(step_id)
        if step.action is not None:
            raise RollbackRefused(f"{step.title} runs an action: run it")
        if not note.strip():
            raise RollbackRefused("a note is required: what was done")
        session = self._writable()
        await session.emit(
            "rollback.step_started",
            actor=self.actor,
            step=step.id,
            index=self.steps.index(step),
            title=step.title,
            kind="manual",
        )
        await session.emit(
            "rollback.step_finished",
            actor=self.actor,
            step=step.id,
            status="done",
            note=note.strip(),
            output="",
            duration_s=0.0,
        )
        await self._maybe_complete()

    async def skip(self, step_id: str, reason: str) -> None:
        """Skip the current step with a reason: after a failure, or an optional, dangerous
        or manual step the commander decides not to do."""
        step = self._startable(step_id)
        run = self.run_of(step.id)
        may = run.status in ("failed", "interrupted") or step.optional or step.dangerous
        if not may and step.action is not None:
            raise RollbackRefused(f"{step.title} is neither optional nor failed: run it")
        if not reason.strip():
            raise RollbackRefused("a reason is required to skip a step")
        session = self._writable()
        await session.emit(
            "rollback.step_finished",
            actor=self.actor,
            step=step.id,
            status="skipped",
            note=reason.strip(),
            output=run.output,
            duration_s=None,
        )
        await self._maybe_complete()

    async def abort(self, reason: str) -> None:
        session = self._writable()
        if self.rb.phase != "armed":
            raise RollbackRefused("no rollback is armed")
        if self.running is not None:
            raise RollbackRefused(f"step {self.running} is still running")
        if not reason.strip():
            raise RollbackRefused("a reason is required to abort")
        current = self.current()
        await session.emit(
            "rollback.aborted",
            actor=self.actor,
            reason=reason.strip(),
            step=current.id if current else None,
        )

    async def _maybe_complete(self) -> None:
        if self.rb.phase != "armed" or self.current() is not None or self.session is None:
            return
        skipped = [s.id for s in self.steps if self.run_of(s.id).status == "skipped"]
        outcome = "rolled back"
        if skipped:
            outcome += f", {len(skipped)} step{'s' if len(skipped) != 1 else ''} skipped"
        await self.session.emit(
            "rollback.completed",
            actor=self.actor,
            outcome=outcome,
            skipped=skipped,
            triggers_firing=[t.id for t in self.state.firing],
        )

    async def proceed(self, prompts: Prompts) -> None:
        """Run steps in order until the end, an abort, or a person pausing (escape)."""
        while self.can_proceed:
            step = self.current()
            if step is None:
                await self._maybe_complete()
                return
            situation = self.situation(step)
            if situation is not None:
                decision = await prompts.decide(step, situation, self.run_of(step.id))
                if decision is None:
                    return  # escape: paused, nothing recorded
                if decision.choice == "abort":
                    await self.abort(decision.text)
                    return
                if decision.choice == "skip":
                    await self.skip(step.id, decision.text)
                    continue
                if decision.choice == "done":
                    await self.confirm_manual(step.id, decision.text)
                    continue
                if step.action is None:  # a failed manual step cannot happen; be safe
                    return
            await self.run_step(step.id, confirmed=True)
