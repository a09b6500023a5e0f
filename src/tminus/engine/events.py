"""The session log's schema: one frozen dataclass per event type, with its version.

A payload is checked against its class when it is written (`SessionWriter.emit`) and when
it is read back (`session.load_events`, the follower), so a damaged or foreign line is
reported instead of reaching the fold. Adding a type: a class here, a fold function in
`engine/state.py`, and a writer somewhere in `src/`; `tests/test_events.py` fails when one
of the three is missing.
"""

from __future__ import annotations

import math
import types
import typing
from dataclasses import MISSING, dataclass, fields
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Union

from tminus.core.results import CheckResult

if TYPE_CHECKING:
    from tminus.plan.model import Plan


class EventSchemaError(ValueError):
    """A payload that does not match its event type's schema."""


@dataclass(frozen=True, kw_only=True)
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
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None and f.default is None:
                continue
            out[f.name] = value
        return out


# ---------------------------------------------------------------- the session
@dataclass(frozen=True, kw_only=True)
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
    speed: float | None = None
    seed: int | None = None

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


@dataclass(frozen=True, kw_only=True)
class SessionResumed(EventData):
    TYPE = "session.resumed"
    version: str


@dataclass(frozen=True, kw_only=True)
class SessionClosed(EventData):
    TYPE = "session.closed"
    reason: str = ""


# ---------------------------------------------------------------- checks and sign-off
@dataclass(frozen=True, kw_only=True)
class CheckStarted(EventData):
    TYPE = "check.started"
    item: str
    run: str
    kind: str
    phase: str | None = None


@dataclass(frozen=True, kw_only=True)
class CheckFinished(EventData):
    TYPE = "check.finished"
    item: str
    run: str
    kind: str
    result: dict[str, Any]

    def __post_init__(self) -> None:
        try:
            self.check_result()
        except (ValueError, TypeError, AttributeError) as exc:
            raise EventSchemaError(f"result: {exc}") from None

    def check_result(self) -> CheckResult:
        return CheckResult.from_dict(self.result)


@dataclass(frozen=True, kw_only=True)
class ItemConfirmed(EventData):
    TYPE = "item.confirmed"
    item: str
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class CriterionConfirmed(EventData):
    TYPE = "criterion.confirmed"
    criterion: str
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class PhaseSignedOff(EventData):
    TYPE = "phase.signed_off"
    phase: str
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class NoteAdded(EventData):
    TYPE = "note.added"
    text: str
    item: str | None = None  # None: a note on the launch


# ---------------------------------------------------------------- metrics and triggers
@dataclass(frozen=True, kw_only=True)
class MetricSample(EventData):
    TYPE = "metric.sample"
    metric: str
    value: float
    at: str | None = None  # launch time of the reading (a demo clock runs fast); default ts

    def __post_init__(self) -> None:
        if self.at is not None:
            try:
                datetime.fromisoformat(self.at.replace("Z", "+00:00"))
            except ValueError:
                raise EventSchemaError(f"at: not an ISO 8601 time: {self.at!r}") from None


@dataclass(frozen=True, kw_only=True)
class TriggerFired(EventData):
    TYPE = "trigger.fired"
    trigger: str
    metric: str
    value: float
    condition: str
    held_s: float


@dataclass(frozen=True, kw_only=True)
class TriggerDeclared(EventData):
    TYPE = "trigger.declared"
    trigger: str
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class TriggerCleared(EventData):
    TYPE = "trigger.cleared"
    trigger: str
    metric: str | None = None  # a metric trigger's value no longer meets its condition
    value: float | None = None
    note: str = ""  # a person cleared it


EVENT_TYPES: typing.Mapping[str, type[EventData]] = EventData.TYPES


# ---------------------------------------------------------------- validation
_HINTS: dict[type[EventData], dict[str, Any]] = {}


def _hints(cls: type[EventData]) -> dict[str, Any]:
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = typing.get_type_hints(cls)
    return hints


def _matches(value: Any, tp: Any) -> bool:
    if tp is Any:
        return True
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        return any(_matches(value, arg) for arg in typing.get_args(tp))
    if tp is type(None):
        return value is None
    if tp is bool:
        return isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if tp is float:  # NaN is a value Prometheus returns; infinities are not
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return ok and (math.isnan(value) or math.isfinite(value))
    if tp is str:
        return isinstance(value, str)
    if origin is dict:
        return isinstance(value, dict) and all(isinstance(k, str) for k in value)
    raise TypeError(f"events.py uses a field type the validator does not know: {tp!r}")


def event_class(type_: str) -> type[EventData]:
    cls = EVENT_TYPES.get(type_)
    if cls is None:
        raise EventSchemaError(f"unknown event type {type_!r}")
    return cls


def parse_payload(type_: str, data: typing.Mapping[str, Any]) -> EventData:
    """The typed payload of one event, or EventSchemaError naming the field."""
    cls = event_class(type_)
    hints = _hints(cls)
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise EventSchemaError(f"{type_}: unknown field {', '.join(map(repr, unknown))}")
    for name, f in known.items():
        if name not in data:
            if f.default is MISSING and f.default_factory is MISSING:
                raise EventSchemaError(f"{type_}: missing field {name!r}")
            continue
        if not _matches(data[name], hints[name]):
            got = type(data[name]).__name__
            raise EventSchemaError(f"{type_}: field {name!r} is a {got}, not {hints[name]}")
    try:
        return cls(**data)
    except EventSchemaError as exc:
        raise EventSchemaError(f"{type_}: {exc}") from None
