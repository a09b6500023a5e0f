"""The launch at a glance, as plain data: what status updates, the status page and the
rehearsal report say. Built only from the plan, the folded SessionState and the clock, so
a console, a follower of the log and a replay all say the same thing.
"""

from __future__ import annotations

from dataclasses import asdict, field
from datetime import datetime
from typing import Any

from tminus.core.durations import format_tminus, phase_label
from tminus.core.records import record
from tminus.core.series import is_data
from tminus.core.units import format_metric
from tminus.engine.state import SessionState
from tminus.plan.model import Plan

DECISIONS = 8  # the latest decisions shown


@record(frozen=True)
class PhaseLine:
    id: str
    title: str
    label: str  # "T-1d"
    green: int
    total: int
    signed_off: bool


@record(frozen=True)
class MetricLine:
    id: str
    title: str
    value: float | None
    text: str  # "0.12%", "-" without data
    state: str  # ok, warn, bad, no_data
    at: str | None = None


@record(frozen=True)
class TriggerLine:
    id: str
    title: str
    firing: bool
    since: str | None
    value: Any = None


@record(frozen=True)
class Decision:
    ts: str
    text: str
    actor: str | None = None


@record(frozen=True)
class Summary:
    launch: str
    environment: str
    t0: str
    now: str
    tminus: str
    phase: str  # the current phase: the first not signed off
    phases: list[PhaseLine] = field(default_factory=list)
    weight: int = 0
    pending_weight: int | None = None
    steps: list[int] = field(default_factory=list)
    triggers: list[TriggerLine] = field(default_factory=list)
    metrics: list[MetricLine] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    rollback: str = ""  # "", "armed", "completed", "aborted"
    session: str = ""
    closed: bool = False

    @property
    def firing(self) -> list[TriggerLine]:
        return [t for t in self.triggers if t.firing]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _green(status: str) -> bool:
    return status in ("pass", "warn", "confirmed")


def _item_status(manual: bool, st: Any) -> str:
    if manual:
        return "confirmed" if st is not None and st.confirmed else "manual"
    if st is None or st.last is None:
        return "pending"
    return str(st.last.outcome)


def _metric_state(metric: Any, value: float | None) -> str:
    if not is_data(value):
        return "no_data"
    if metric.ok is None or metric.ok.evaluate({"value": value}):
        return "ok"
    if metric.warn is not None and metric.warn.evaluate({"value": value}):
        return "warn"
    return "bad"


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def summarize(
    plan: Plan,
    state: SessionState,
    now: datetime,
    values: dict[str, float | None] | None = None,
) -> Summary:
    """`values` are fresher metric values than the log's samples (a live poller's)."""
    phases = []
    current = ""
    for phase in plan.phases:
        items = [item for _, item in phase.items()]
        green = sum(1 for i in items if _green(_item_status(i.manual, state.items.get(i.id))))
        signed = phase.id in state.signoffs
        phases.append(
            PhaseLine(phase.id, phase.title, phase_label(phase.at), green, len(items), signed)
        )
        if not signed and not current:
            current = phase.title
    if not current:
        current = "all phases signed off" if plan.phases else "no phases"
    metrics = []
    for m in plan.metrics:
        sample = state.metrics.get(m.id)
        value = values.get(m.id) if values and m.id in values else None
        at = None
        if value is None and sample is not None:
            at, value = sample[0], _number(sample[1])
        metrics.append(
            MetricLine(
                m.id, m.title, value, format_metric(value, m.unit), _metric_state(m, value), at
            )
        )
    triggers = []
    for t in plan.triggers:
        ts = state.triggers.get(t.id)
        triggers.append(
            TriggerLine(
                t.id,
                t.title,
                bool(ts and ts.firing),
                ts.since if ts and ts.firing else None,
                ts.value if ts else None,
            )
        )
    # "", "armed", "completed" or "aborted": the folded rollback (engine.rollback_state)
    rollback_phase = state.rollback.phase
    rollback = "" if rollback_phase == "idle" else rollback_phase
    rollout = state.rollout
    return Summary(
        launch=plan.launch.name,
        environment=plan.launch.environment,
        t0=plan.launch.t0.isoformat(),
        now=now.isoformat(),
        tminus=format_tminus((now - plan.launch.t0).total_seconds()),
        phase=current,
        phases=phases,
        weight=rollout.weight,
        pending_weight=rollout.pending,
        steps=list(plan.rollout.steps) if plan.rollout else [],
        triggers=triggers,
        metrics=metrics,
        decisions=decisions(plan, state),
        rollback=rollback,
        session=state.session_id,
        closed=state.closed,
    )


def decisions(plan: Plan, state: SessionState, limit: int = DECISIONS) -> list[Decision]:
    """The latest things people decided or the launch did, newest first."""
    titles = {p.id: p.title for p in plan.phases}
    trig_titles = {t.id: t.title for t in plan.triggers}
    out: list[Decision] = []
    for pid, stamp in state.signoffs.items():
        note = f": {stamp.note}" if stamp.note else ""
        out.append(Decision(stamp.ts, f"signed off {titles.get(pid, pid)}{note}", stamp.actor))
    for step in state.rollout.history:
        out.append(Decision(str(step["ts"]), f"traffic to {step['weight']}%", step.get("actor")))
    for tid, trig in state.triggers.items():
        if trig.since:
            out.append(
                Decision(trig.since, f"trigger fired: {trig_titles.get(tid, tid)}", trig.actor)
            )
    rb = state.rollback
    marks = (  # (when, what, note, who)
        (rb.armed_at, "rollback armed", rb.reason, rb.armed_by),
        (rb.completed_at, "rollback completed", rb.outcome, None),
        (rb.aborted_at, "rollback aborted", rb.abort_reason, rb.aborted_by),
    )
    for ts, what, text, actor in marks:
        if ts:
            note = f": {text}" if text else ""
            out.append(Decision(ts, f"{what}{note}", actor))
    for stamp in state.notes:
        out.append(Decision(stamp.ts, f"note: {stamp.note}", stamp.actor))
    out.sort(key=lambda d: d.ts, reverse=True)
    return out[:limit]


def status_lines(s: Summary) -> list[str]:
    """The status update as plain text, one fact a line (mail, chat, a command's stdin)."""
    lines = [f"{s.launch} ({s.environment}) at {s.tminus}: {s.phase}"]
    for p in s.phases:
        mark = "signed off" if p.signed_off else f"{p.green}/{p.total} green"
        lines.append(f"  {p.label} {p.title}: {mark}")
    if s.steps:
        pending = f" (moving to {s.pending_weight}%)" if s.pending_weight is not None else ""
        lines.append(f"Rollout: {s.weight}% of traffic on the new version{pending}")
    if s.metrics:
        lines.append("Metrics: " + ", ".join(f"{m.title} {m.text} ({m.state})" for m in s.metrics))
    firing = s.firing
    if firing:
        lines.append("Triggers FIRING: " + ", ".join(t.title for t in firing))
    elif s.triggers:
        lines.append(f"Triggers: none of {len(s.triggers)} firing")
    if s.rollback:
        lines.append(f"Rollback: {s.rollback}")
    return lines
