"""What a retrospective report says, as plain data: built once from the session log and
rendered by any format (Markdown, HTML, a live status page later) from the same parts.

Each part is a small dataclass; `build_report` fills them from one read of the log.
Decisions on the timeline are described by `DESCRIBE`, one function per event type: a
new event type gets a line there and appears in every format.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import field
from datetime import timedelta
from pathlib import Path
from typing import Any

from tminus.core.durations import format_duration, format_tminus
from tminus.core.records import record
from tminus.core.sparkline import thin_indexes
from tminus.engine.criteria import scoreboard
from tminus.engine.history import DEFAULT_CAPACITY
from tminus.engine.recording import Recording, parse_ts, plan_of, read_recording, tminus_seconds
from tminus.engine.session import Event
from tminus.engine.state import SessionState
from tminus.engine.summary import Summary, summarize
from tminus.plan.model import Plan

RECENT = 60  # the recent values kept per metric for a sparkline


@record(frozen=True)
class Entry:
    """One decision on the timeline."""

    ts: str
    tminus: str  # "T-00:14:03"
    kind: str  # signoff, refusal, confirmation, rollout, trigger, rollback, note, session
    actor: str
    text: str


@record(frozen=True)
class PhaseSpan:
    id: str
    title: str
    first: str  # T-minus of the first event touching the phase, or ""
    signed_off: str  # T-minus of the sign-off, or ""
    duration: str  # from first activity to sign-off
    by: str


@record(frozen=True)
class CheckIncident:
    item: str
    title: str
    outcome: str
    failed_at: str
    recovered_at: str  # "" while it never recovered
    message: str


@record(frozen=True)
class CriterionLine:
    title: str
    status: str
    value: str
    target: str


@record(frozen=True)
class Chart:
    id: str
    title: str
    unit: str
    points: list[tuple[float, float]]  # (T-minus seconds, value)
    marks: list[tuple[float, str]]  # (T-minus seconds, label): triggers, rollout steps


@record
class Report:
    session_id: str
    launch: str
    environment: str
    plan: str
    mode: str
    t0: str
    started: str
    ended: str
    outcome: str
    outcome_note: str
    participants: list[tuple[str, int]]  # actor, intents
    timeline: list[Entry] = field(default_factory=list)
    phases: list[PhaseSpan] = field(default_factory=list)
    incidents: list[CheckIncident] = field(default_factory=list)
    criteria: list[CriterionLine] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    events: int = 0
    warnings: list[str] = field(default_factory=list)
    final: Summary | None = None  # the state as the session ended (the status page's parts)
    history: dict[str, list[float]] = field(default_factory=dict)  # recent values per metric


Describe = Callable[[dict[str, Any], Plan], tuple[str, str] | None]  # -> (kind, text)


def _title(plan: Plan, item_id: str) -> str:
    try:
        return plan.item(item_id)[2].title
    except (KeyError, StopIteration):
        return item_id


def _phase(plan: Plan, phase_id: str) -> str:
    return next((p.title for p in plan.phases if p.id == phase_id), phase_id)


def _trigger(plan: Plan, trigger_id: str) -> str:
    return next((t.title for t in plan.triggers if t.id == trigger_id), trigger_id)


def _series(d: dict[str, Any]) -> str:
    labels = d.get("series") or d.get("labels")
    if isinstance(labels, dict) and labels:
        return " {" + ", ".join(f"{k}={v}" for k, v in sorted(labels.items())) + "}"
    return f" {{{labels}}}" if isinstance(labels, str) and labels else ""


def _blockers(d: dict[str, Any], plan: Plan, shown: int = 5) -> str:
    blockers = [b for b in d.get("blockers") or [] if isinstance(b, dict)]
    text = "; ".join(
        f"{_title(plan, str(b.get('item')))} ({str(b.get('reason', ''))[:80]})"
        for b in blockers[:shown]
    )
    return text + (f"; and {len(blockers) - shown} more" if len(blockers) > shown else "")


def _note(d: dict[str, Any], key: str = "note") -> str:
    text = str(d.get(key) or "").strip()
    return f": “{text}”" if text else ""


DESCRIBE: dict[str, Describe] = {
    "phase.signed_off": lambda d, p: ("signoff", f"Signed off {_phase(p, d['phase'])}{_note(d)}"),
    "phase.signoff_refused": lambda d, p: (
        "refusal",
        f"Sign-off of {_phase(p, d['phase'])} refused, {len(d.get('blockers') or [])} "
        f"blocking: {_blockers(d, p)}",
    ),
    "item.confirmed": lambda d, p: ("confirmation", f"Confirmed {_title(p, d['item'])}{_note(d)}"),
    "criterion.confirmed": lambda d, p: (
        "confirmation",
        f"Confirmed criterion {next((c.title for c in p.success_criteria if c.id == d['criterion']), d['criterion'])}{_note(d)}",  # noqa: E501
    ),
    "note.added": lambda d, p: (
        "note",
        (f"Note on {_title(p, d['item'])}" if d.get("item") else "Note") + _note(d, "text"),
    ),
    "trigger.fired": lambda d, p: (
        "trigger",
        f"Trigger fired: {_trigger(p, d['trigger'])}{_series(d)} (value {d.get('value')}"
        + (f", {d['condition']}" if d.get("condition") else "")
        + ")",
    ),
    "trigger.declared": lambda d, p: (
        "trigger",
        f"Trigger declared: {_trigger(p, d['trigger'])}{_note(d)}",
    ),
    "trigger.acknowledged": lambda d, p: (
        "trigger",
        f"Trigger acknowledged: {_trigger(p, d['trigger'])}{_series(d)}{_note(d)}",
    ),
    "trigger.cleared": lambda d, p: (
        "trigger",
        f"Trigger cleared: {_trigger(p, d['trigger'])}{_series(d)}"
        + (f" (value {d['value']})" if d.get("value") is not None else "")
        + _note(d),
    ),
    "rollout.requested": lambda d, p: (
        "rollout",
        f"Rollout to {d.get('weight')}% requested"
        + (f", bake overridden: “{d['override']}”" if d.get("override") else "")
        + (f" after {d['baked']} baked" if d.get("baked") else ""),
    ),
    "rollout.applied": lambda d, p: ("rollout", f"Rollout at {d.get('weight')}%"),
    "rollout.failed": lambda d, p: ("rollout", f"Rollout failed: {d.get('error', '')}"),
    "rollout.drift": lambda d, p: (
        "rollout",
        f"Rollout drift: expected {d.get('expected')}%, read {d.get('actual')}%",
    ),
    "rollback.armed": lambda d, p: ("rollback", f"Rollback armed{_note(d, 'reason')}"),
    "rollback.step_finished": lambda d, p: (
        "rollback",
        f"Rollback step {d.get('title') or d.get('step')}: {d.get('status', 'done')}",
    ),
    "rollback.completed": lambda d, p: ("rollback", "Rollback completed"),
    "rollback.aborted": lambda d, p: ("rollback", f"Rollback aborted{_note(d, 'reason')}"),
    "session.closed": lambda d, p: (
        ("session", f"Session ended: {d['outcome']}{_note(d)}") if d.get("outcome") else None
    ),
}


def describe(ev: Event, plan: Plan) -> tuple[str, str] | None:
    """(kind, sentence) for a decision, None for an event that is not one."""
    describe_one = DESCRIBE.get(ev.type)
    if describe_one is None:
        return None
    try:
        return describe_one(ev.data, plan)
    except (KeyError, TypeError):
        return (ev.type.split(".")[0], ev.type)


def entry_of(ev: Event, plan: Plan, state: SessionState) -> Entry | None:
    """A decision as a timeline row, timed in T-minus from the session's own clock."""
    described = describe(ev, plan)
    if described is None:
        return None
    secs = tminus_seconds(state, ev.ts)
    when = format_tminus(secs) if secs is not None else ev.ts
    return Entry(ev.ts, when, described[0], ev.actor or "", described[1])


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "no data"
    if unit == "ratio":
        return f"{value * 100:.2f}%"
    if unit == "seconds":
        return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"
    return f"{value:.4g}"


class Collector:
    """Gathers the decisions (few) while the log is read once; everything else the report
    says (who took part, phases, failed checks, criteria, charts) is in the fold."""

    TYPES = frozenset(DESCRIBE)  # the only events it needs to see

    def __init__(self) -> None:
        self.decisions: list[Event] = []

    def visit(self, ev: Event) -> None:
        if ev.type in DESCRIBE:
            self.decisions.append(ev)


def read_for_report(path: Path) -> tuple[Recording, Collector]:
    """The recording (from the snapshot and the lines after it) and the decisions."""
    collector = Collector()
    rec = read_recording(path, collector.visit, final_only=True, visit_types=Collector.TYPES)
    return rec, collector


def build_report(path: Path) -> Report:
    return report_from(*read_for_report(path))


def report_from(rec: Recording, collector: Collector) -> Report:
    state = rec.final
    plan = plan_of(state)

    def tm(ts: str) -> str:
        secs = tminus_seconds(state, ts)
        return format_tminus(secs) if secs is not None else ts

    timeline: list[Entry] = []
    marks: list[tuple[float, str]] = []
    first_touch = state.first_touch
    for ev in collector.decisions:
        entry = entry_of(ev, plan, state)
        if entry is None:
            continue
        kind, text = entry.kind, entry.text
        timeline.append(entry)
        if kind in ("trigger", "rollout", "rollback"):
            secs = tminus_seconds(state, ev.ts)
            if secs is not None:
                marks.append((secs, text.split(":")[0]))
    closed = [
        CheckIncident(item, _title(plan, item), outcome, tm(failed), tm(recovered), message)
        for item, outcome, failed, message, recovered in state.incidents
    ]
    closed += [
        CheckIncident(item, _title(plan, item), outcome, tm(failed), "", message)
        for item, (outcome, failed, message) in state.failing.items()
    ]
    closed.sort(key=lambda c: c.failed_at)
    phases = []
    for p in plan.phases:
        signed = state.signoffs.get(p.id)
        first = first_touch.get(p.id, "")
        duration = ""
        if signed and first:
            secs = (parse_ts(signed.ts) - parse_ts(first)) * (state.speed or 1.0)
            duration = format_duration_s(secs)
        phases.append(
            PhaseSpan(
                p.id,
                p.title,
                tm(first) if first else "",
                tm(signed.ts) if signed else "",
                duration,
                signed.actor or "" if signed else "",
            )
        )
    series = {m.id: rec.series_at(m.id, rec.count, DEFAULT_CAPACITY) for m in plan.metrics}
    criteria = []
    for sc in scoreboard(plan, series, state):
        crit = sc.criterion
        unit = next((m.unit for m in plan.metrics if m.id == crit.metric), "none")
        value = _fmt(sc.value, unit) if sc.value is not None else sc.detail or "—"
        criteria.append(
            CriterionLine(
                crit.title,
                sc.status.replace("_", " ") if sc.status != "waiting" else "no data recorded",
                value,
                crit.target.text if crit.target is not None else "confirmed by a person",
            )
        )
    charts = []
    for m in plan.metrics:
        s = rec.samples.get(m.id)
        if s is None:
            continue
        t0_text = state.t0 or str(state.info.get("t0", ""))
        t0 = parse_ts(t0_text) if t0_text else 0.0
        speed = state.speed or 1.0
        pts = [((s.times[i] - t0) * speed, s.values[i]) for i in thin_indexes(s.values, 600)]
        charts.append(Chart(m.id, m.title, m.unit, pts, marks))
    closed_by = state.closed_by
    # the state as the session ended, at its launch-clock time (a demo runs faster)
    ended_secs = tminus_seconds(state, state.last_ts) if state.last_ts else None
    final = None
    if ended_secs is not None:
        final = summarize(plan, state, plan.launch.t0 + timedelta(seconds=ended_secs))
    history = {
        m.id: list(rec.samples[m.id].values[-RECENT:]) for m in plan.metrics if m.id in rec.samples
    }
    return Report(
        session_id=state.session_id or rec.path.stem,
        launch=state.launch or plan.launch.name,
        environment=str(state.info.get("environment", plan.launch.environment)),
        plan=state.plan_path or "",
        mode=str(state.info.get("mode", "")),
        t0=state.t0 or str(state.info.get("t0", "")),
        started=tm(state.started) if state.started else "",
        ended=tm(state.last_ts) if state.last_ts else "",
        outcome=state.outcome or ("open" if not state.closed else "closed"),
        outcome_note=closed_by.note if closed_by else "",
        participants=sorted(state.actors.items(), key=lambda kv: -kv[1]),
        timeline=timeline,
        phases=phases,
        incidents=closed,
        criteria=criteria,
        charts=charts,
        events=rec.count,
        warnings=rec.warnings,
        final=final,
        history=history,
    )


def format_duration_s(secs: float) -> str:
    from datetime import timedelta

    return format_duration(timedelta(seconds=round(secs)))
