"""The launch's state at one moment, as HTML parts: phase progress, rollout weight,
triggers and key metrics. The live status page shows them now; the retrospective report
shows them as the session ended. One function per part, used by both, so the two pages
cannot say different things about the same state.

Each part is a function of the plain-data `Summary` (tminus.engine.summary) and returns
one `<section>` with a stable id (`phase`, `rollout`, `triggers`, `metrics`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from tminus.engine.summary import Summary
from tminus.report.svg import svg_sparkline

STATE_CLASS = {"ok": "ok", "warn": "warn", "bad": "bad", "no_data": "muted"}
SPARK_POINTS = 60  # the recent values a key metric's sparkline shows


def section(section_id: str, title: str, body: str) -> str:
    return f'<section id="{section_id}"><h2>{escape(title)}</h2>{body}</section>'


def muted(text: str) -> str:
    return f'<p class="muted">{escape(text)}</p>'


def phase_progress(s: Summary) -> str:
    rows = []
    for p in s.phases:
        done = "signed off" if p.signed_off else f"{p.green}/{p.total} green"
        cls = "ok" if p.signed_off else ""
        rows.append(
            f'<li class="{cls}"><span class="label">{escape(p.label)}</span> '
            f'{escape(p.title)} <span class="muted">{done}</span></li>'
        )
    body = f'<p class="big">{escape(s.phase)}</p><ul>{"".join(rows)}</ul>'
    return section("phase", "Phase", body)


def rollout_weight(s: Summary) -> str:
    if not s.steps:
        return section("rollout", "Rollout", muted("no rollout in this plan"))
    pending = (
        f' <span class="warn">moving to {s.pending_weight}%</span>'
        if s.pending_weight is not None
        else ""
    )
    steps = " ".join(
        f'<span class="step{" done" if w <= s.weight else ""}">{w}%</span>' for w in s.steps
    )
    return section(
        "rollout",
        "Rollout",
        f'<p class="big"><span id="weight">{s.weight}%</span> on the new version{pending}</p>'
        f'<div class="bar"><div style="width:{max(0, min(100, s.weight))}%"></div></div>'
        f"<p>{steps}</p>",
    )


def triggers_table(s: Summary) -> str:
    if not s.triggers:
        return section("triggers", "Triggers", muted("none"))
    rows = []
    for t in s.triggers:
        if t.firing:
            since = f" since {escape(t.since or '')}" if t.since else ""
            rows.append(f'<li class="bad"><b>FIRING</b> {escape(t.title)}{since}</li>')
        else:
            rows.append(f'<li class="ok">quiet · {escape(t.title)}</li>')
    firing = len(s.firing)
    banner = f'<p class="alarm">{firing} rollback trigger(s) firing</p>' if firing else ""
    return section("triggers", "Triggers", f"{banner}<ul>{''.join(rows)}</ul>")


def key_metrics(s: Summary, history: Mapping[str, Sequence[float]]) -> str:
    """Each metric's value, state and a sparkline of its recent values (`history`)."""
    if not s.metrics:
        return section("metrics", "Key metrics", muted("none"))
    rows = "".join(
        f'<tr class="{STATE_CLASS.get(m.state, "")}"><td>{escape(m.title)}</td>'
        f'<td class="num">{escape(m.text)}</td><td>{escape(m.state.replace("_", " "))}</td>'
        f"<td>{svg_sparkline(list(history.get(m.id, ()))[-SPARK_POINTS:])}</td></tr>"
        for m in s.metrics
    )
    return section("metrics", "Key metrics", f"<table>{rows}</table>")


# the shape of the parts, in both pages; each page's own style sets the colours of
# .ok .warn .bad .muted and --accent (a dark wall screen, a printable report)
CSS = """
.state ul{list-style:none;padding:0;margin:.3em 0}.state .big{font-size:1.3em;margin:.2em 0}
.state{display:grid;grid-template-columns:repeat(auto-fit,minmax(20em,1fr));gap:1em}
.alarm{background:#a00;color:#fff;font-weight:bold;padding:.4em 1em;margin:0 0 1em}
.bar{height:.6em;background:#8884}.bar div{height:100%;background:var(--accent)}
.step{padding:0 .3em;opacity:.6}.step.done{opacity:1;color:var(--accent)}
td.num{text-align:right;padding:0 1em}#metrics,#decisions{grid-column:1/-1}
.spark{vertical-align:middle;max-width:5em;height:auto}
.spark .line{stroke:currentColor;stroke-width:1.5}
"""
