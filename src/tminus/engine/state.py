"""Session state as a pure fold of the session's events.

Resume, read-only attach, replay and reports all build their state here; nothing else
keeps a second copy of what happened.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tminus.core.results import CheckResult
from tminus.engine.session import Event

RESULT_HISTORY = 20  # results kept per item; the log keeps them all


@dataclass
class Stamp:
    ts: str
    actor: str | None
    note: str = ""


@dataclass
class ItemState:
    id: str
    running: bool = False
    run_id: str | None = None
    last: CheckResult | None = None
    last_ts: str | None = None
    history: deque[tuple[str, CheckResult]] = field(
        default_factory=lambda: deque(maxlen=RESULT_HISTORY)
    )
    confirmed: Stamp | None = None
    notes: list[Stamp] = field(default_factory=list)


@dataclass
class TriggerState:
    id: str
    firing: bool = False
    since: str | None = None
    value: Any = None
    note: str = ""
    actor: str | None = None
    fired_count: int = 0


@dataclass
class RolloutState:
    weight: int = 0
    pending: int | None = None  # requested, not yet applied
    since: str | None = None  # when the current weight was applied (bake timer start)
    history: list[dict[str, Any]] = field(default_factory=list)
    last_error: str = ""


@dataclass
class RollbackState:
    armed: Stamp | None = None
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)  # step id -> status, output
    completed: Stamp | None = None
    aborted: Stamp | None = None


@dataclass
class SessionState:
    session_id: str = ""
    plan_name: str = ""
    plan_path: str = ""
    launch: str = ""
    started: str | None = None
    last_ts: str | None = None
    last_seq: int = 0
    closed: bool = False
    resumes: int = 0
    items: dict[str, ItemState] = field(default_factory=dict)
    signoffs: dict[str, Stamp] = field(default_factory=dict)
    triggers: dict[str, TriggerState] = field(default_factory=dict)
    metrics: dict[str, tuple[str, Any]] = field(default_factory=dict)  # last sample per metric
    rollout: RolloutState = field(default_factory=RolloutState)
    rollback: RollbackState = field(default_factory=RollbackState)
    notes: list[Stamp] = field(default_factory=list)
    criteria: dict[str, Stamp] = field(default_factory=dict)  # manual criteria confirmed
    info: dict[str, Any] = field(default_factory=dict)  # session.started payload

    def item(self, item_id: str) -> ItemState:
        st = self.items.get(item_id)
        if st is None:
            st = self.items[item_id] = ItemState(item_id)
        return st

    def trigger(self, trigger_id: str) -> TriggerState:
        st = self.triggers.get(trigger_id)
        if st is None:
            st = self.triggers[trigger_id] = TriggerState(trigger_id)
        return st

    @property
    def firing(self) -> list[TriggerState]:
        return [t for t in self.triggers.values() if t.firing]


def apply(state: SessionState, ev: Event) -> None:
    """Fold one event into the state. Unknown types are ignored (newer writers)."""
    d = ev.data
    state.last_seq = ev.seq
    state.last_ts = ev.ts
    t = ev.type
    if t == "session.started":
        state.started = ev.ts
        state.session_id = str(d.get("session", state.session_id))
        state.plan_name = str(d.get("plan_name", ""))
        state.plan_path = str(d.get("plan_path", ""))
        state.launch = str(d.get("launch", ""))
        state.info = dict(d)
    elif t == "session.resumed":
        state.resumes += 1
        state.closed = False
    elif t == "session.closed":
        state.closed = True
        for item in state.items.values():
            item.running = False
    elif t == "check.started":
        item = state.item(str(d["item"]))
        item.running = True
        item.run_id = d.get("run")
    elif t == "check.finished":
        item = state.item(str(d["item"]))
        result = CheckResult.from_dict(d.get("result") or {})
        item.running = False
        item.last = result
        item.last_ts = ev.ts
        item.history.append((ev.ts, result))
    elif t == "item.confirmed":
        state.item(str(d["item"])).confirmed = Stamp(ev.ts, ev.actor, str(d.get("note", "")))
    elif t == "criterion.confirmed":
        state.criteria[str(d["criterion"])] = Stamp(ev.ts, ev.actor, str(d.get("note", "")))
    elif t == "phase.signed_off":
        state.signoffs[str(d["phase"])] = Stamp(ev.ts, ev.actor, str(d.get("note", "")))
    elif t == "note.added":
        stamp = Stamp(ev.ts, ev.actor, str(d.get("text", "")))
        if d.get("item"):
            state.item(str(d["item"])).notes.append(stamp)
        else:
            state.notes.append(stamp)
    elif t == "metric.sample":
        state.metrics[str(d["metric"])] = (ev.ts, d.get("value"))
    elif t in ("trigger.fired", "trigger.declared"):
        trig = state.trigger(str(d["trigger"]))
        if not trig.firing:
            trig.fired_count += 1
            trig.since = ev.ts
        trig.firing = True
        trig.value = d.get("value")
        trig.note = str(d.get("note", ""))
        trig.actor = ev.actor
    elif t == "trigger.cleared":
        trig = state.trigger(str(d["trigger"]))
        trig.firing = False
        trig.value = d.get("value")
    elif t == "rollout.requested":
        state.rollout.pending = int(d["weight"])
    elif t == "rollout.applied":
        state.rollout.weight = int(d["weight"])
        state.rollout.pending = None
        state.rollout.since = ev.ts
        state.rollout.last_error = ""
        state.rollout.history.append(
            {"ts": ev.ts, "weight": state.rollout.weight, "actor": ev.actor}
        )
    elif t == "rollout.failed":
        state.rollout.pending = None
        state.rollout.last_error = str(d.get("error", ""))
    elif t == "rollback.armed":
        state.rollback = RollbackState(armed=Stamp(ev.ts, ev.actor, str(d.get("reason", ""))))
    elif t == "rollback.step_started":
        state.rollback.steps[str(d["step"])] = {"status": "running", "started": ev.ts}
    elif t == "rollback.step_finished":
        step = state.rollback.steps.setdefault(str(d["step"]), {})
        step.update(
            status=str(d.get("status", "done")), finished=ev.ts, output=str(d.get("output", ""))
        )
    elif t == "rollback.completed":
        state.rollback.completed = Stamp(ev.ts, ev.actor)
    elif t == "rollback.aborted":
        state.rollback.aborted = Stamp(ev.ts, ev.actor, str(d.get("reason", "")))


def fold(events: Iterable[Event]) -> SessionState:
    state = SessionState()
    for ev in events:
        apply(state, ev)
    return state
