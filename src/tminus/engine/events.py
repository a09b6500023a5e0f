"""The session log's schema: one frozen dataclass per event type, with its version.

A payload is checked against its class when it is written (`SessionWriter.emit`) and when
it is read back (`session.load_events`, the follower), so a damaged or foreign line is
reported instead of reaching the fold. Adding a type: a class here, a fold function in
`engine/state.py`, and a writer somewhere in `src/`; `tests/test_events.py` fails when one
of the three is missing.
"""

from __future__ import annotations

import types
import typing
from dataclasses import MISSING, fields
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Union

from tminus.core.records import record
from tminus.core.results import CheckResult
from tminus.engine.event_basics import OUTCOMES as OUTCOMES
from tminus.engine.event_basics import EventSchemaError as EventSchemaError

if TYPE_CHECKING:
    from tminus.plan.model import Plan


@record(frozen=True, kw_only=True)
class EventData:
    """Fields of one event type. The envelope (v, seq, ts, type, actor) is the log's."""

    TYPES: ClassVar[dict[str, type[EventData]]] = {}
    TYPE: ClassVar[str] = ""
    VERSION: ClassVar[int] = 1

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if cls.TYPE:
            EventData.TYPES[cls.TYPE] = cls

    def payload(self) -> dict[str, Any]:
        """The fields as written: optional fields left at None are omitted."""
        out: dict[str, Any] = {}
        for name, optional in _payload_fields(type(self)):
            value = getattr(self, name)
            if value is None and optional:
                continue
            out[name] = value
        return out


_PAYLOAD_FIELDS: dict[type[EventData], tuple[tuple[str, bool], ...]] = {}


def _payload_fields(cls: type[EventData]) -> tuple[tuple[str, bool], ...]:
    """(name, omitted when None) per field, worked out once per class: the runner builds
    two events per check, and `fields()` walks the class each time."""
    found = _PAYLOAD_FIELDS.get(cls)
    if found is None:
        found = _PAYLOAD_FIELDS[cls] = tuple((f.name, f.default is None) for f in fields(cls))
    return found


# ---------------------------------------------------------------- the session
@record(frozen=True, kw_only=True)
class SessionStarted(EventData):
    TYPE = "session.started"
    session: str
    mode: str  # run, check, demo
    plan_name: str
    plan_path: str
    launch: str
    t0: str
    environment: str
    version: str
    scenario: str | None = None  # demo only
    speed: float | None = (
        None  # the console's clock speed (demo); T-minus = (ts - console_t0) * speed
    )
    seed: int | None = None
    # the wall-clock instant of the T-0 the console counted down to: the demo's clock starts
    # shortly before the plan's `t0`, days away in wall time
    console_t0: str | None = None

    @classmethod
    def for_plan(
        cls, plan: Plan, *, session: str, mode: str, plan_path: str, **demo: Any
    ) -> SessionStarted:
        """The one place a session's opening record is built."""
        from tminus import __version__

        return cls(
            session=session,
            mode=mode,
            plan_name=plan.launch.name,
            plan_path=plan_path,
            launch=plan.launch.name,
            t0=plan.launch.t0.isoformat(),
            environment=plan.launch.environment,
            version=__version__,
            **demo,
        )


@record(frozen=True, kw_only=True)
class SessionResumed(EventData):
    TYPE = "session.resumed"
    version: str
    console_t0: str | None = None  # as in session.started: this console's T-0
    speed: float | None = None


@record(frozen=True, kw_only=True)
class SessionTakenOver(EventData):
    """A console took over an unfinished session after its writer was gone."""

    TYPE = "session.taken_over"
    version: str
    previous: str = ""  # the last writer, as its lock or its last event named it
    console_t0: str | None = None  # as in session.resumed
    speed: float | None = None


@record(frozen=True, kw_only=True)
class SessionClosed(EventData):
    TYPE = "session.closed"
    reason: str = ""
    outcome: str | None = None  # a person ended the launch session: one of OUTCOMES
    note: str | None = None

    def __post_init__(self) -> None:
        if self.outcome is not None and self.outcome not in OUTCOMES:
            raise EventSchemaError(f"outcome: {self.outcome!r} is not one of {OUTCOMES}")


# ---------------------------------------------------------------- checks and sign-off
@record(frozen=True, kw_only=True)
class CheckStarted(EventData):
    TYPE = "check.started"
    item: str
    run: str
    kind: str
    phase: str | None = None


@record(frozen=True, kw_only=True)
class CheckFinished(EventData):
    TYPE = "check.finished"
    item: str
    run: str
    kind: str
    result: dict[str, Any]

    def __post_init__(self) -> None:
        try:
            parsed = CheckResult.from_dict(self.result)
        except (ValueError, TypeError, AttributeError) as exc:
            raise EventSchemaError(f"result: {exc}") from None
        # kept: the fold takes this result instead of parsing the dict a second time
        object.__setattr__(self, "_parsed", parsed)

    def check_result(self) -> CheckResult:
        parsed: CheckResult = self.__dict__["_parsed"]
        return parsed


@record(frozen=True, kw_only=True)
class ItemConfirmed(EventData):
    TYPE = "item.confirmed"
    item: str
    note: str = ""


@record(frozen=True, kw_only=True)
class CriterionConfirmed(EventData):
    TYPE = "criterion.confirmed"
    criterion: str
    note: str = ""


@record(frozen=True, kw_only=True)
class PhaseSignedOff(EventData):
    TYPE = "phase.signed_off"
    phase: str
    note: str = ""


@record(frozen=True, kw_only=True)
class PhaseSignoffRefused(EventData):
    """A sign-off asked for and refused: what blocked it, item by item."""

    TYPE = "phase.signoff_refused"
    phase: str
    blockers: list[dict[str, Any]]  # {"item": id, "reason": text}
    note: str = ""


@record(frozen=True, kw_only=True)
class NoteAdded(EventData):
    TYPE = "note.added"
    text: str
    item: str | None = None  # None: a note on the launch


# ---------------------------------------------------------------- metrics and triggers
@record(frozen=True, kw_only=True)
class MetricSample(EventData):
    TYPE = "metric.sample"
    metric: str
    value: float
    labels: dict[str, str] | None = None  # the series shown, when the query returned several
    at: str | None = None  # launch time of the reading (a demo clock runs fast); default ts

    def __post_init__(self) -> None:
        if self.at is not None:
            try:
                datetime.fromisoformat(self.at.replace("Z", "+00:00"))
            except ValueError:
                raise EventSchemaError(f"at: not an ISO 8601 time: {self.at!r}") from None


@record(frozen=True, kw_only=True)
class TriggerPending(EventData):
    """One series of a trigger began to hold its condition (Prometheus's `pending`)."""

    TYPE = "trigger.pending"
    trigger: str
    series: str  # the series key, e.g. region="eu-west" ('' for a single-number query)
    labels: dict[str, str]
    value: float
    since: float  # launch-clock unix time: the hold timer, rebuilt by the fold on resume
    metric: str | None = None  # None for an alert-expression trigger


@record(frozen=True, kw_only=True)
class TriggerPendingCleared(EventData):
    """A pending series stopped holding (or vanished) before its `for` had passed."""

    TYPE = "trigger.pending_cleared"
    trigger: str
    series: str
    labels: dict[str, str]
    value: float
    reason: str
    metric: str | None = None


@record(frozen=True, kw_only=True)
class TriggerFired(EventData):
    TYPE = "trigger.fired"
    trigger: str
    value: float
    condition: str
    held_s: float
    metric: str | None = None  # None for an alert-expression trigger
    series: str | None = None  # absent in logs written before per-series triggers
    labels: dict[str, str] | None = None
    at: float | None = None  # launch-clock unix time it fired


@record(frozen=True, kw_only=True)
class TriggerError(EventData):
    """A trigger's condition could not be evaluated at run time; polling went on."""

    TYPE = "trigger.error"
    trigger: str
    error: str
    series: str = ""


@record(frozen=True, kw_only=True)
class TriggerDeclared(EventData):
    TYPE = "trigger.declared"
    trigger: str
    note: str = ""


@record(frozen=True, kw_only=True)
class TriggerCleared(EventData):
    TYPE = "trigger.cleared"
    trigger: str
    metric: str | None = None  # a metric trigger's value no longer meets its condition
    value: float | None = None
    note: str = ""  # a person cleared it
    series: str | None = None  # the series that cleared; None: a person cleared them all
    labels: dict[str, str] | None = None
    reason: str | None = None  # condition no longer holds, or series gone for N polls


# ---------------------------------------------------------------- notifications
@record(frozen=True, kw_only=True)
class NotifySent(EventData):
    """A notification delivered through one channel (engine/notify.py)."""

    TYPE = "notify.sent"
    channel: str
    kind: str  # webhook, slack, email, command
    topic: str  # status, phase, rollout, trigger, rollback
    title: str
    attempt: int
    receipt: str  # "HTTP 200", "SMTP accepted 2 of 2", "exit 0"


@record(frozen=True, kw_only=True)
class NotifyFailed(EventData):
    """One failed attempt; `final` when the channel gave up on this notification."""

    TYPE = "notify.failed"
    channel: str
    kind: str
    topic: str
    title: str
    attempt: int
    error: str
    final: bool
    retry_in: float  # seconds until the next attempt (0 when final)


@record(frozen=True, kw_only=True)
class TriggerAcknowledged(EventData):
    TYPE = "trigger.acknowledged"
    trigger: str
    note: str = ""


@record(frozen=True, kw_only=True)
class TriggerWithdrawn(EventData):
    TYPE = "trigger.withdrawn"
    trigger: str
    reason: str  # why the declaration was a mistake


# ---------------------------------------------------------------- the rollback
@record(frozen=True, kw_only=True)
class RollbackArmed(EventData):
    TYPE = "rollback.armed"
    reason: str
    triggers: list[str]  # firing when it was armed
    steps: list[str]  # the plan's step ids, in order


@record(frozen=True, kw_only=True)
class RollbackStepStarted(EventData):
    TYPE = "rollback.step_started"
    step: str
    index: int | None = None
    title: str = ""
    kind: str = ""  # the action's kind, or "manual"


@record(frozen=True, kw_only=True)
class RollbackStepFinished(EventData):
    TYPE = "rollback.step_finished"
    step: str
    status: str  # done, failed, skipped
    error: str = ""
    note: str = ""  # a skip's reason, a manual step's note
    output: str = ""  # the tail of what the action printed
    duration_s: float | None = None


@record(frozen=True, kw_only=True)
class RollbackCompleted(EventData):
    TYPE = "rollback.completed"
    outcome: str  # "rolled back", "rolled back, 1 step skipped"
    skipped: list[str]
    triggers_firing: list[str]


@record(frozen=True, kw_only=True)
class RollbackAborted(EventData):
    TYPE = "rollback.aborted"
    reason: str
    step: str | None = None  # the step it stopped at


# ---------------------------------------------------------------- the traffic rollout
# Folded in engine/rollout_state.py; written by engine/rollout.py (RolloutController).
@record(frozen=True, kw_only=True)
class RolloutRequested(EventData):
    TYPE = "rollout.requested"
    weight: int
    previous: int
    step: int  # 1-based step of `weight` (0: 0 % or off the ladder)
    regions: list[str]
    override: str = ""  # the typed reason, when the move needed an override
    overridden: list[str] | None = None  # what it overrode (closed gate, skipped steps)
    reason: str = ""  # why, as given (a person's override reason, or tminus's own)


@record(frozen=True, kw_only=True)
class RolloutApplied(EventData):
    TYPE = "rollout.applied"
    weight: int
    previous: int
    step: int
    regions: dict[str, Any]  # region -> weight read back (None: cannot be read back)
    at: str  # launch-clock time: the bake timer starts here
    override: str = ""
    reason: str = ""
    note: str = ""  # e.g. the weight found when the session started

    def __post_init__(self) -> None:
        try:
            datetime.fromisoformat(self.at.replace("Z", "+00:00"))
        except ValueError:
            raise EventSchemaError(f"at: not an ISO 8601 time: {self.at!r}") from None


@record(frozen=True, kw_only=True)
class RolloutFailed(EventData):
    TYPE = "rollout.failed"
    weight: int
    previous: int
    regions: dict[str, Any]  # region -> the weight it holds now (None: unreadable)
    errors: dict[str, Any]  # region -> what went wrong
    error: str
    override: str = ""
    reason: str = ""


@record(frozen=True, kw_only=True)
class RolloutDrift(EventData):
    TYPE = "rollout.drift"
    expected: int  # the weight last applied
    regions: dict[str, Any]  # regions that read back another weight; empty: drift resolved


@record(frozen=True, kw_only=True)
class RolloutHeld(EventData):
    TYPE = "rollout.held"
    trigger: str  # fired during the step; on_trigger = "hold" keeps the weight
    weight: int


EVENT_TYPES: typing.Mapping[str, type[EventData]] = EventData.TYPES


# ---------------------------------------------------------------- validation
Checker = typing.Callable[[Any], bool]


def _checker(tp: Any) -> Checker:
    """A fast test for one annotation, built once per field (emit is on the hot path)."""
    if tp is Any:
        return lambda _v: True
    if typing.get_origin(tp) in (Union, types.UnionType):
        parts = [_checker(arg) for arg in typing.get_args(tp)]
        return lambda v: any(part(v) for part in parts)
    if tp is type(None):
        return lambda v: v is None
    if tp is bool:
        return lambda v: isinstance(v, bool)
    if tp is int:
        return lambda v: isinstance(v, int) and not isinstance(v, bool)
    if tp is float:  # an int is a float too (JSON drops ".0"); NaN and infinities are values
        return lambda v: isinstance(v, int | float) and not isinstance(v, bool)
    if tp is str:
        return lambda v: isinstance(v, str)
    if typing.get_origin(tp) is list:
        (inner,) = typing.get_args(tp)
        item = _checker(inner)
        return lambda v: isinstance(v, list) and all(item(x) for x in v)
    if typing.get_origin(tp) is dict:
        return lambda v: isinstance(v, dict) and all(isinstance(k, str) for k in v)
    raise TypeError(f"events.py uses a field type the validator does not know: {tp!r}")


@record(frozen=True)
class _Field:
    name: str
    required: bool
    check: Checker
    shown: str


_SCHEMAS: dict[type[EventData], tuple[_Field, ...]] = {}


def _schema(cls: type[EventData]) -> tuple[_Field, ...]:
    schema = _SCHEMAS.get(cls)
    if schema is None:
        hints = typing.get_type_hints(cls)
        schema = _SCHEMAS[cls] = tuple(
            _Field(
                f.name,
                f.default is MISSING and f.default_factory is MISSING,
                _checker(hints[f.name]),
                str(hints[f.name]),
            )
            for f in fields(cls)
        )
    return schema


def event_class(type_: str) -> type[EventData]:
    cls = EVENT_TYPES.get(type_)
    if cls is None:
        raise EventSchemaError(f"unknown event type {type_!r}")
    return cls


def parse_payload(type_: str, data: typing.Mapping[str, Any]) -> EventData:
    """The typed payload of one event, or EventSchemaError naming the field."""
    cls = event_class(type_)
    schema = _schema(cls)
    if len(data) > len(schema) or not data.keys() <= {f.name for f in schema}:
        unknown = sorted(set(data) - {f.name for f in schema})
        raise EventSchemaError(f"{type_}: unknown field {', '.join(map(repr, unknown))}")
    for f in schema:
        if f.name not in data:
            if f.required:
                raise EventSchemaError(f"{type_}: missing field {f.name!r}")
        elif not f.check(data[f.name]):
            got = type(data[f.name]).__name__
            raise EventSchemaError(f"{type_}: field {f.name!r} is a {got}, not {f.shown}")
    try:
        return cls(**data)
    except EventSchemaError as exc:
        raise EventSchemaError(f"{type_}: {exc}") from None
