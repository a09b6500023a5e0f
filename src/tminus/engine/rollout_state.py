"""The rollout's state, folded from `rollout.*` events: weight, step, bake start, failures.

Nothing here is kept anywhere else: the controller, the header and the Rollout tab all read
this, so a resumed or attached console sees exactly what the writer saw.
"""

from __future__ import annotations

from dataclasses import field
from typing import Any

from tminus.core.records import record
from tminus.engine.session import Event

ROLLOUT_EVENTS = frozenset(
    {
        "rollout.requested",  # weight, previous, regions, override (a typed reason or "")
        "rollout.applied",  # weight, previous, regions {region: weight}, at (launch clock)
        "rollout.failed",  # weight, previous, regions {region: weight|None}, errors, error
        "rollout.drift",  # expected, regions {region: weight|None} (empty: drift resolved)
        "rollout.held",  # trigger, weight: a trigger fired and the policy is to hold
    }
)


@record
class RolloutState:
    """The rollout in this session: the weight in force and what is pending."""

    weight: int = 0  # the weight last applied everywhere
    previous: int = 0  # the weight before that (where "return" goes after a failure)
    regions: dict[str, int | None] = field(default_factory=dict)  # as last read back
    pending: int | None = None  # requested, not yet applied or failed
    since: str | None = None  # event time the current weight was applied
    baked_from: str | None = None  # launch-clock time it was applied: the bake timer
    override: str = ""  # the reason given for the current weight, if it was an override
    history: list[dict[str, Any]] = field(default_factory=list)
    last_error: str = ""
    failed: dict[str, Any] | None = None  # the last change, if it failed part-way
    drift: dict[str, int | None] = field(default_factory=dict)  # regions off the applied
    held: str = ""  # the trigger the rollout holds for
    started: bool = False  # any rollout event seen


def apply_rollout(st: RolloutState, ev: Event) -> None:
    d = ev.data
    st.started = True
    t = ev.type
    if t == "rollout.requested":
        st.pending = int(d["weight"])
    elif t == "rollout.applied":
        st.previous = int(d.get("previous", st.weight))
        st.weight = int(d["weight"])
        st.regions = {str(r): _weight(w) for r, w in (d.get("regions") or {}).items()}
        st.pending = None
        st.since = ev.ts
        st.baked_from = str(d.get("at") or ev.ts)
        st.override = str(d.get("override", ""))
        st.last_error = ""
        st.failed = None
        st.drift = {}
        st.held = ""
        st.history.append(
            {"ts": ev.ts, "weight": st.weight, "actor": ev.actor, "override": st.override}
        )
    elif t == "rollout.failed":
        st.pending = None
        st.last_error = str(d.get("error", ""))
        st.regions = {str(r): _weight(w) for r, w in (d.get("regions") or {}).items()}
        st.failed = {
            "weight": int(d["weight"]),
            "previous": int(d.get("previous", st.weight)),
            "errors": dict(d.get("errors") or {}),
            "override": str(d.get("override", "")),
            "ts": ev.ts,
        }
    elif t == "rollout.drift":
        st.drift = {str(r): _weight(w) for r, w in (d.get("regions") or {}).items()}
        st.regions.update(st.drift)
    elif t == "rollout.held":
        st.held = str(d.get("trigger", ""))


def _weight(value: Any) -> int | None:
    return None if value is None else int(value)
