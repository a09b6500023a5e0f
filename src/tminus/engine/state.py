"""Session state as a pure fold of the session's events.

Resume, read-only attach, replay and reports all build their state here; nothing else
keeps a second copy of what happened.
"""

from __future__ import annotations

import copy
import dataclasses
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import field
from datetime import datetime
from pathlib import Path
from typing import Any

from tminus.core.records import record
from tminus.core.results import CheckResult
from tminus.core.ring import PointRing
from tminus.engine.rollback_state import RollbackState, fold_rollback
from tminus.engine.rollout_state import ROLLOUT_EVENTS, RolloutState, apply_rollout
from tminus.engine.session import SYSTEM_ACTOR, Event, ScanResult, scan_events

RESULT_HISTORY = 20  # results kept per item; the log keeps them all
SAMPLE_HISTORY = 2880  # recorded samples kept per metric for charts (a day at 30 s)


@record
class Stamp:
    """Who did something, when, and their note."""

    ts: str
    actor: str | None
    note: str = ""


@record
class ItemState:
    """One item's state in this session: running, last result, history."""

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


@record
class AlertState:
    """One series of a trigger, as Prometheus keeps an alert: pending, then firing."""

    labels: dict[str, str]
    state: str  # pending, firing
    since: float  # launch-clock unix time it began to hold (pending) or fired
    value: Any = None


@record
class TriggerState:
    """One trigger's state in this session: firing or not, since when."""

    id: str
    firing: bool = False
    since: str | None = None
    value: Any = None
    note: str = ""
    actor: str | None = None
    fired_count: int = 0
    # series key ('' for a manual or single-series trigger) -> its pending/firing state;
    # folded from trigger.pending/fired/cleared, so hold timers survive a resume
    alerts: dict[str, AlertState] = field(default_factory=dict)

    def firing_series(self) -> list[AlertState]:
        return [a for a in self.alerts.values() if a.state == "firing"]

    acknowledged: Stamp | None = None  # this firing, by whom, with a note
    cleared: Stamp | None = None  # the last clearing; actor set when a person cleared it
    withdrawn: Stamp | None = None  # a mistaken declaration taken back, with the reason


@record
class ChannelState:
    """A notification channel as the log tells it: ok, retrying or failed."""

    name: str
    kind: str = ""
    status: str = "idle"  # idle, ok, retrying, failed
    ts: str | None = None
    error: str = ""
    sent: int = 0
    failed: int = 0  # deliveries given up on


@record
class SessionState:
    """The session folded from its log: what every view shows."""

    session_id: str = ""
    plan_name: str = ""
    plan_path: str = ""
    launch: str = ""
    started: str | None = None
    last_ts: str | None = None
    last_seq: int = 0
    last_actor: str = ""  # of the newest event that names one (who wrote the session last)
    closed: bool = False
    outcome: str = ""  # launched, rolled-back, aborted: set by session.closed
    closed_by: Stamp | None = None
    t0: str = ""  # the wall-clock T-0 the console counted down to (ConsoleEngine.timebase)
    speed: float = 1.0
    resumes: int = 0
    items: dict[str, ItemState] = field(default_factory=dict)
    signoffs: dict[str, Stamp] = field(default_factory=dict)
    refusals: dict[str, Stamp] = field(default_factory=dict)  # last refused sign-off, per phase
    triggers: dict[str, TriggerState] = field(default_factory=dict)
    metrics: dict[str, tuple[str, Any]] = field(default_factory=dict)  # last sample per metric
    # recorded samples per metric, (unix time, value), bounded: what a chart reads from the log
    samples: dict[str, PointRing] = field(default_factory=dict)
    notes: list[Stamp] = field(default_factory=list)
    criteria: dict[str, Stamp] = field(default_factory=dict)  # manual criteria confirmed
    rollback: RollbackState = field(default_factory=RollbackState)
    info: dict[str, Any] = field(default_factory=dict)  # session.started payload
    notify: dict[str, ChannelState] = field(default_factory=dict)  # notification channels
    rollout: RolloutState = field(default_factory=RolloutState)
    # who took part: events per actor, in order of first appearance (tminus's own not counted)
    actors: dict[str, int] = field(default_factory=dict)
    first_touch: dict[str, str] = field(default_factory=dict)  # phase -> ts of its first event
    # checks that went bad: item -> (outcome, ts, message) while failing, and each episode
    # (item, outcome, failed ts, message, recovered ts) once it recovered
    failing: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    incidents: list[tuple[str, str, str, str, str]] = field(default_factory=list)

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


Fold = Callable[[SessionState, Event], None]


def _session_started(state: SessionState, ev: Event) -> None:
    d = ev.data
    state.started = ev.ts
    state.session_id = str(d.get("session", state.session_id))
    state.plan_name = str(d["plan_name"])
    state.plan_path = str(d["plan_path"])
    state.launch = str(d["launch"])
    state.info = dict(d)
    _timebase(state, d)


def _timebase(state: SessionState, d: dict[str, Any]) -> None:
    if d.get("console_t0"):
        state.t0 = str(d["console_t0"])
        state.speed = float(d.get("speed") or 1.0)


def _session_resumed(state: SessionState, ev: Event) -> None:
    state.resumes += 1
    state.closed = False
    _timebase(state, ev.data)
    fold_rollback(state.rollback, ev)  # a step left running was interrupted


def _session_closed(state: SessionState, ev: Event) -> None:
    state.closed = True
    state.outcome = str(ev.data.get("outcome") or "")
    state.closed_by = Stamp(ev.ts, ev.actor, str(ev.data.get("note") or ""))
    for item in state.items.values():
        item.running = False
    fold_rollback(state.rollback, ev)


def _check_started(state: SessionState, ev: Event) -> None:
    item = state.item(str(ev.data["item"]))
    item.running = True
    item.run_id = ev.data.get("run")


def _check_finished(state: SessionState, ev: Event) -> None:
    item = state.item(str(ev.data["item"]))
    payload = ev.payload  # checked when read: the result was parsed then, once
    from tminus.engine.events import CheckFinished  # off the first frame's path

    if isinstance(payload, CheckFinished):
        result = payload.check_result()
    else:
        result = CheckResult.from_dict(ev.data["result"])
    item.running = False
    item.last = result
    item.last_ts = ev.ts
    item.history.append((ev.ts, result))
    outcome = str(result.outcome)
    bad = state.failing.get(item.id)
    if outcome not in ("pass", "warn", "skipped") and bad is None:
        state.failing[item.id] = (outcome, ev.ts, result.message)
    elif outcome in ("pass", "warn") and bad is not None:
        state.incidents.append((item.id, *bad, ev.ts))
        del state.failing[item.id]


def _item_confirmed(state: SessionState, ev: Event) -> None:
    note = str(ev.data.get("note", ""))
    state.item(str(ev.data["item"])).confirmed = Stamp(ev.ts, ev.actor, note)


def _criterion_confirmed(state: SessionState, ev: Event) -> None:
    note = str(ev.data.get("note", ""))
    state.criteria[str(ev.data["criterion"])] = Stamp(ev.ts, ev.actor, note)


def _phase_signed_off(state: SessionState, ev: Event) -> None:
    state.signoffs[str(ev.data["phase"])] = Stamp(ev.ts, ev.actor, str(ev.data.get("note", "")))


def _phase_signoff_refused(state: SessionState, ev: Event) -> None:
    blockers = ev.data.get("blockers") or []
    why = "; ".join(str(b.get("reason", "")) for b in blockers if isinstance(b, dict))
    state.refusals[str(ev.data["phase"])] = Stamp(ev.ts, ev.actor, why)


def _note_added(state: SessionState, ev: Event) -> None:
    stamp = Stamp(ev.ts, ev.actor, str(ev.data["text"]))
    if ev.data.get("item"):
        state.item(str(ev.data["item"])).notes.append(stamp)
    else:
        state.notes.append(stamp)


def _metric_sample(state: SessionState, ev: Event) -> None:
    metric, value = str(ev.data["metric"]), ev.data["value"]
    state.metrics[metric] = (ev.ts, value)
    samples = state.samples.get(metric)
    if samples is None:
        samples = state.samples[metric] = PointRing(maxlen=SAMPLE_HISTORY)
    at = ev.data.get("at")
    when = datetime.fromisoformat(at.replace("Z", "+00:00")) if at else ev.time
    samples.append((when.timestamp(), float(value)))


def _labels(d: dict[str, Any]) -> dict[str, str]:
    raw = d.get("labels") or {}
    return {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}


def _trigger_pending(state: SessionState, ev: Event) -> None:
    d = ev.data
    trig = state.trigger(str(d["trigger"]))
    trig.alerts[str(d["series"])] = AlertState(
        _labels(d), "pending", float(d["since"]), d.get("value")
    )


def _trigger_pending_cleared(state: SessionState, ev: Event) -> None:
    trig = state.trigger(str(ev.data["trigger"]))
    key = str(ev.data["series"])
    if key in trig.alerts and trig.alerts[key].state == "pending":
        del trig.alerts[key]


def _trigger_fired(state: SessionState, ev: Event) -> None:
    d = ev.data
    trig = state.trigger(str(d["trigger"]))
    if not trig.firing:
        trig.fired_count += 1
        trig.since = ev.ts
        trig.acknowledged = None  # a new firing needs a new acknowledgement
        trig.withdrawn = None
    trig.firing = True
    trig.value = d.get("value")
    trig.note = str(d.get("note", ""))
    trig.actor = ev.actor
    trig.alerts[str(d.get("series", ""))] = AlertState(
        _labels(d), "firing", float(d.get("at") or 0.0), d.get("value")
    )


def _trigger_cleared(state: SessionState, ev: Event) -> None:
    d = ev.data
    trig = state.trigger(str(d["trigger"]))
    if "series" in d:
        trig.alerts.pop(str(d["series"]), None)
    else:  # a person cleared the trigger (or an older log): every series
        trig.alerts.clear()
    firing = trig.firing_series()
    trig.firing = bool(firing)
    trig.value = firing[-1].value if firing else d.get("value")
    if not trig.firing:
        trig.cleared = Stamp(ev.ts, ev.actor, str(d.get("note", "")))


def _trigger_error(state: SessionState, ev: Event) -> None:
    state.trigger(str(ev.data["trigger"])).note = str(ev.data["error"])


def _rollout(state: SessionState, ev: Event) -> None:
    apply_rollout(state.rollout, ev)


def _trigger_acknowledged(state: SessionState, ev: Event) -> None:
    trig = state.trigger(str(ev.data["trigger"]))
    trig.acknowledged = Stamp(ev.ts, ev.actor, str(ev.data.get("note", "")))


def _trigger_withdrawn(state: SessionState, ev: Event) -> None:
    trig = state.trigger(str(ev.data["trigger"]))
    trig.alerts.clear()
    trig.firing = False
    trig.withdrawn = Stamp(ev.ts, ev.actor, str(ev.data["reason"]))


def _rollback(state: SessionState, ev: Event) -> None:
    state.rollback = fold_rollback(state.rollback, ev)


# one function per event type in engine/events.py; tests/test_events.py keeps them in step
def _channel(state: SessionState, ev: Event) -> ChannelState:
    name = str(ev.data["channel"])
    ch = state.notify.get(name)
    if ch is None:
        ch = state.notify[name] = ChannelState(name)
    ch.kind = str(ev.data["kind"])
    ch.ts = ev.ts
    return ch


def _notify_sent(state: SessionState, ev: Event) -> None:
    ch = _channel(state, ev)
    ch.status, ch.error = "ok", ""
    ch.sent += 1


def _notify_failed(state: SessionState, ev: Event) -> None:
    ch = _channel(state, ev)
    ch.error = str(ev.data["error"])
    final = bool(ev.data["final"])
    ch.status = "failed" if final else "retrying"
    if final:
        ch.failed += 1


FOLDS: dict[str, Fold] = {
    "session.started": _session_started,
    "session.resumed": _session_resumed,
    "session.taken_over": _session_resumed,  # a resume by another console: counted alike
    "session.closed": _session_closed,
    "check.started": _check_started,
    "check.finished": _check_finished,
    "item.confirmed": _item_confirmed,
    "criterion.confirmed": _criterion_confirmed,
    "phase.signed_off": _phase_signed_off,
    "phase.signoff_refused": _phase_signoff_refused,
    "note.added": _note_added,
    "metric.sample": _metric_sample,
    "trigger.pending": _trigger_pending,
    "trigger.pending_cleared": _trigger_pending_cleared,
    "trigger.fired": _trigger_fired,
    "trigger.declared": _trigger_fired,  # a person's declaration fires like a metric's
    "trigger.cleared": _trigger_cleared,
    "trigger.error": _trigger_error,
    "notify.sent": _notify_sent,
    "notify.failed": _notify_failed,
    # rollout.requested / applied / failed / drift / held: engine/rollout_state.py
    **dict.fromkeys(ROLLOUT_EVENTS, _rollout),
    "trigger.acknowledged": _trigger_acknowledged,
    "trigger.withdrawn": _trigger_withdrawn,
    "rollback.armed": _rollback,
    "rollback.step_started": _rollback,
    "rollback.step_finished": _rollback,
    "rollback.completed": _rollback,
    "rollback.aborted": _rollback,
}


def apply(state: SessionState, ev: Event) -> None:
    """Fold one (schema-checked) event into the state."""
    state.last_seq = ev.seq
    state.last_ts = ev.ts
    if ev.actor:
        state.last_actor = ev.actor
    if ev.type != "metric.sample":  # who took part, and when each phase began
        if ev.actor and ev.actor != SYSTEM_ACTOR:
            state.actors[ev.actor] = state.actors.get(ev.actor, 0) + 1
        phase = ev.data.get("phase")
        if isinstance(phase, str) and phase not in state.first_touch:
            state.first_touch[phase] = ev.ts
    FOLDS[ev.type](state, ev)


def fold(events: Iterable[Event]) -> SessionState:
    state = SessionState()
    for ev in events:
        apply(state, ev)
    return state


def apply_sample(state: SessionState, obj: dict[str, Any]) -> None:
    """`apply` for a raw `metric.sample` line (session.sample_obj): the same fold, without
    building an Event (most of a long log)."""
    state.last_seq = int(obj["seq"])
    state.last_ts = ts = str(obj["ts"])
    if obj.get("actor"):
        state.last_actor = str(obj["actor"])
    metric, value = str(obj["metric"]), obj["value"]
    state.metrics[metric] = (ts, value)
    samples = state.samples.get(metric)
    if samples is None:
        samples = state.samples[metric] = PointRing(maxlen=SAMPLE_HISTORY)
    at = obj.get("at") or ts
    samples.append((datetime.fromisoformat(at).timestamp(), float(value)))


def fold_file(path: Path) -> tuple[SessionState, ScanResult]:
    """Fold a session file in one streaming read (no list of events in memory)."""
    state = SessionState()
    scanned = scan_events(path, lambda ev: apply(state, ev), lambda obj: apply_sample(state, obj))
    return state, scanned


def clone(state: SessionState) -> SessionState:
    """A copy later folds cannot change: every part a fold changes in place is copied,
    immutable results and stamps (replaced, never changed) shared. Far cheaper than
    deepcopy (replay keeps a few as checkpoints; the snapshot keeper one)."""
    new = copy.copy(state)
    new.items = {
        k: dataclasses.replace(
            v, history=deque(v.history, maxlen=v.history.maxlen), notes=list(v.notes)
        )
        for k, v in state.items.items()
    }
    new.signoffs = dict(state.signoffs)
    new.refusals = dict(state.refusals)
    new.triggers = {
        k: dataclasses.replace(v, alerts={s: dataclasses.replace(a) for s, a in v.alerts.items()})
        for k, v in state.triggers.items()
    }
    new.metrics = dict(state.metrics)
    new.samples = {k: v.copy() for k, v in state.samples.items()}
    new.notes = list(state.notes)
    new.criteria = dict(state.criteria)
    new.info = dict(state.info)
    # folded in place by their own modules: each copy needs its own
    new.notify = {k: dataclasses.replace(v) for k, v in state.notify.items()}
    new.actors = dict(state.actors)
    new.first_touch = dict(state.first_touch)
    new.failing = dict(state.failing)
    new.incidents = list(state.incidents)
    rb = state.rollback
    new.rollback = dataclasses.replace(
        rb,
        triggers=list(rb.triggers),
        steps={k: dataclasses.replace(v) for k, v in rb.steps.items()},
    )
    ro = state.rollout
    new.rollout = dataclasses.replace(
        ro,
        regions=dict(ro.regions),
        history=[dict(h) for h in ro.history],
        failed=dict(ro.failed) if ro.failed is not None else None,
        drift=dict(ro.drift),
    )
    return new
