"""The rollback's state, folded from `rollback.*` events: what was armed, by whom, why, and
how each step went. The runner decides from this alone, so resume and a read-only console
see the same rollback as the console that ran it."""

from __future__ import annotations

from dataclasses import field
from typing import Any

from tminus.core.records import record
from tminus.engine.session import Event

# a step's status: pending (never started), running, done, failed, skipped, interrupted
# (started in a console that stopped before it finished: never shown as done)
FINISHED = frozenset({"done", "skipped"})


@record
class StepRun:
    """The state of one rollback step in this session."""

    status: str = "pending"
    started: str | None = None
    finished: str | None = None
    output: str = ""  # the tail of what the action printed
    duration_s: float | None = None
    note: str = ""  # a skip's reason, a manual step's confirmation note
    actor: str | None = None
    attempts: int = 0


@record
class RollbackState:
    """The rollback in this session: armed or not, and each step's run."""

    armed: bool = False
    armed_at: str | None = None
    armed_by: str | None = None
    reason: str = ""
    triggers: list[str] = field(default_factory=list)  # firing when it was armed
    steps: dict[str, StepRun] = field(default_factory=dict)
    completed_at: str | None = None
    outcome: str = ""  # "rolled back", "rolled back, 1 step skipped"
    aborted_at: str | None = None
    aborted_by: str | None = None
    abort_reason: str = ""

    @property
    def phase(self) -> str:
        """idle, armed (running or waiting), completed, aborted."""
        if self.completed_at:
            return "completed"
        if self.aborted_at:
            return "aborted"
        return "armed" if self.armed else "idle"

    def step(self, step_id: str) -> StepRun:
        return self.steps.get(step_id) or StepRun()


def fold_rollback(rb: RollbackState, ev: Event) -> RollbackState:
    """Fold one rollback event (or a session restart) and return the rollback's state."""
    d: dict[str, Any] = ev.data
    t = ev.type
    if t == "rollback.armed":
        # a new arming starts a new rollback: the last one's steps are history in the log
        return RollbackState(
            armed=True,
            armed_at=ev.ts,
            armed_by=ev.actor,
            reason=str(d.get("reason", "")),
            triggers=[str(x) for x in d.get("triggers") or ()],
        )
    if t == "rollback.step_started":
        run = rb.steps.setdefault(str(d["step"]), StepRun())
        run.status = "running"
        run.started = ev.ts
        run.finished = None
        run.output = ""
        run.duration_s = None
        run.attempts += 1
    elif t == "rollback.step_finished":
        run = rb.steps.setdefault(str(d["step"]), StepRun())
        run.status = str(d.get("status", "done"))
        run.finished = ev.ts
        run.output = str(d.get("output", ""))
        run.duration_s = d.get("duration_s")
        run.note = str(d.get("note", ""))
        run.actor = ev.actor
    elif t == "rollback.completed":
        rb.completed_at = ev.ts
        rb.outcome = str(d.get("outcome", ""))
    elif t == "rollback.aborted":
        rb.aborted_at = ev.ts
        rb.aborted_by = ev.actor
        rb.abort_reason = str(d.get("reason", ""))
    elif t in ("session.resumed", "session.closed"):
        for run in rb.steps.values():
            if run.status == "running":
                run.status = "interrupted"
    return rb
