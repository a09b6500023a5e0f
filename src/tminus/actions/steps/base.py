"""What a rollback step's action is given and must provide.

An action previews exactly what it would do (the dry run: no I/O that changes anything),
and runs, printing what happens through `out`. It fails by raising ActionFailed with a
message a person can act on. Kinds are plug-ins looked up in `tminus.actions.steps`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from tminus.actions.actuators.base import Change, ReadBack
from tminus.backends.base import Backends
from tminus.core.clock import Clock
from tminus.core.records import record
from tminus.plan.model import Plan

Output = Callable[[str], None]  # one line of what the action did, for the live tail
Record = Callable[..., Awaitable[Any]]  # record(event_type, **data): a session event


class ActionFailed(Exception):
    """The step did not do what it should; the message says what went wrong."""


class Recorded(Protocol):
    """A session event as the step reads it back (the engine's Event)."""

    @property
    def type(self) -> str: ...

    @property
    def data(self) -> dict[str, Any]: ...


class Rollout(Protocol):
    """The engine's rollout controller, as the `rollout` step uses it. It previews through
    the plan's actuator, records `rollout.requested` then `rollout.applied` or
    `rollout.failed`, and reads every region back; moving down is always allowed."""

    async def preview(self, target: int) -> list[Change]: ...

    async def apply(
        self, target: int, *, reason: str = "", actor: str | None = None
    ) -> Recorded: ...

    async def read_back(self) -> list[ReadBack]: ...


@record(frozen=True)
class Verdict:
    """The outcome of one verification pass, one line per check or metric."""

    passed: bool
    lines: tuple[str, ...]  # one per check or metric: what it is now


class Verifier(Protocol):
    """Runs the named checks and judges the named metrics once (the engine provides it)."""

    async def verify(self, checks: Sequence[str], metrics: Sequence[str]) -> Verdict: ...


@record
class ActionContext:
    """What a rollback step's action runs against."""

    plan: Plan
    backends: Backends
    clock: Clock
    record: Record
    rollout: Rollout | None = None  # None: the plan has no [rollout]
    verifier: Verifier | None = None


class StepAction(Protocol):
    async def preview(self) -> str:
        """Exactly what run() would do; changes nothing."""
        ...

    async def run(self, out: Output) -> None:
        """Do it; raise ActionFailed when it did not work."""
        ...
