"""Check outcomes and results, as the engine produces them and the session log stores them."""

from __future__ import annotations

import dataclasses
from dataclasses import field
from enum import StrEnum
from typing import Any

from tminus.core.records import record
from tminus.core.redact import scrub, scrub_text


class Outcome(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    ERROR = "error"  # could not evaluate: timeout, refused, bad response
    INCONCLUSIVE = "inconclusive"  # no data, too few samples
    SKIPPED = "skipped"  # cancelled or not run

    @property
    def ok(self) -> bool:
        """Only a pass (or a warn, which passed its condition) counts as green."""
        return self in (Outcome.PASS, Outcome.WARN)


_BY_VALUE = {o.value: o for o in Outcome}


def outcome_of(value: Any) -> Outcome:
    """`Outcome(value)` without the enum call's cost (results read back from a long log)."""
    try:
        return _BY_VALUE[value]
    except (KeyError, TypeError):
        return Outcome(value)  # raises ValueError as before


# worst first: what an aggregate of several parts reports
SEVERITY = [
    Outcome.ERROR,
    Outcome.FAIL,
    Outcome.INCONCLUSIVE,
    Outcome.WARN,
    Outcome.SKIPPED,
    Outcome.PASS,
]


def worst(outcomes: list[Outcome]) -> Outcome:
    for o in SEVERITY:
        if o in outcomes:
            return o
    return Outcome.SKIPPED


@record(frozen=True)
class Part:
    """One context's share of a result (a region, a DNS answer set...)."""

    name: str
    outcome: Outcome
    message: str = ""
    value: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "outcome": str(self.outcome),
            "message": self.message,
            "value": self.value,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Part:
        return cls(
            str(d.get("name", "")),
            outcome_of(d.get("outcome", "error")),
            str(d.get("message", "")),
            d.get("value"),
        )


LOGGED_VALUE_LIMIT = 1024  # characters of one observed value kept in the session log


def _bounded(values: dict[str, Any], *, scrubbed: bool = False) -> dict[str, Any]:
    """What a condition read, trimmed for the log: a 4 KB body per check per run adds up."""
    out: dict[str, Any] = {}
    # redact first (unless `redacted` already did): a cut could split a secret
    for k, v in (values if scrubbed else scrub(values)).items():
        if isinstance(v, str) and len(v) > LOGGED_VALUE_LIMIT:
            v = v[:LOGGED_VALUE_LIMIT] + "…"
        elif isinstance(v, dict | list) and len(repr(v)) > LOGGED_VALUE_LIMIT:
            v = f"[{type(v).__name__} of {len(v)} entries, not logged]"
        out[k] = v
    return out


@record(frozen=True, slots=True)  # no __dict__: a run keeps every result
class CheckResult:
    """The outcome of one check run, with its values and message."""

    outcome: Outcome
    message: str = ""
    value: Any = None  # the headline value shown beside the item
    values: dict[str, Any] = field(default_factory=dict)  # what the condition could read
    parts: tuple[Part, ...] = ()
    duration_ms: float = 0.0
    attempts: int = 1
    output: str = ""  # bounded tail of command output
    # set only by `redacted`: its values need no second scrub in `to_dict`. Not an init
    # field, so `dataclasses.replace` (which may bring new values) always resets it.
    _scrubbed: bool = field(default=False, init=False, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        # by hand: dataclasses.asdict deep-copies every value, a hot spot at 1,000 checks
        return {
            "outcome": str(self.outcome),
            "message": self.message,
            "value": self.value,
            "values": _bounded(self.values, scrubbed=self._scrubbed),
            "parts": [p.to_dict() for p in self.parts],
            "duration_ms": round(self.duration_ms, 1),
            "attempts": self.attempts,
            "output": self.output,
        }

    def redacted(self) -> CheckResult:
        """This result with every registered secret removed, whole values before any cut."""
        clean = dataclasses.replace(
            self,
            message=scrub_text(self.message),
            value=scrub(self.value),
            values=scrub(self.values),
            parts=tuple(
                Part(p.name, p.outcome, scrub_text(p.message), scrub(p.value)) for p in self.parts
            ),
            output=scrub_text(self.output),
        )
        object.__setattr__(clean, "_scrubbed", True)  # frozen: the one place it is set
        return clean

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CheckResult:
        return cls(
            outcome=outcome_of(d.get("outcome", "error")),
            message=str(d.get("message", "")),
            value=d.get("value"),
            values=dict(d.get("values") or {}),
            parts=tuple(Part.from_dict(p) for p in d.get("parts") or ()),
            duration_ms=float(d.get("duration_ms") or 0.0),
            attempts=int(d.get("attempts") or 1),
            output=str(d.get("output") or ""),
        )
