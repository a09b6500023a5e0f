"""Report parts rendered one by one, so a page (the report, a live status page) picks the
parts it needs: each component turns one part of the `Report` into Markdown or HTML.

The state at the end (phase progress, rollout weight, triggers, key metrics) is drawn by
`tminus.report.state_parts`, and a decision's row by `html_decision_rows`: the live
status page draws the same parts with the same functions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

from tminus.core.durations import format_tminus
from tminus.core.sparkline import blocks, finite, thin_to
from tminus.engine.summary import status_lines
from tminus.report import state_parts
from tminus.report.model import Entry, Report
from tminus.report.svg import svg_chart


def sparkline(values: list[float], width: int = 60) -> str:
    """A chart's samples as one line of blocks: at most `width`, spikes kept."""
    return blocks(thin_to(values, width))


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(_md_cell(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


# ---------------------------------------------------------------- Markdown
def md_summary(r: Report) -> str:
    people = ", ".join(f"{a} ({n})" for a, n in r.participants) or "nobody acted"
    note = f" — {r.outcome_note}" if r.outcome_note else ""
    return "\n".join(
        [
            f"# {r.launch}: launch retrospective",
            "",
            f"- **Outcome**: {r.outcome}{note}",
            f"- **Environment**: {r.environment}",
            f"- **Plan**: {r.plan or '—'} ({r.mode or 'run'})",
            f"- **T-0**: {r.t0 or 'unknown'}",
            f"- **Session**: `{r.session_id}`, {r.started} to {r.ended}, {r.events} events",
            f"- **Participants**: {people}",
        ]
    )


def md_timeline(r: Report) -> str:
    rows = [[e.tminus, e.kind, e.actor, e.text] for e in r.timeline]
    body = _md_table(["T-minus", "kind", "who", "decision"], rows) if rows else "No decisions."
    return "## Timeline of decisions\n\n" + body


def md_phases(r: Report) -> str:
    rows = [
        [p.title, p.first or "—", p.signed_off or "not signed off", p.duration or "—", p.by]
        for p in r.phases
    ]
    return "## Phases\n\n" + _md_table(
        ["phase", "first activity", "signed off", "took", "by"], rows
    )


def md_incidents(r: Report) -> str:
    if not r.incidents:
        return "## Failed checks\n\nNo check failed."
    rows = [
        [c.title, c.outcome, c.failed_at, c.recovered_at or "never", c.message] for c in r.incidents
    ]
    return "## Failed checks\n\n" + _md_table(
        ["check", "outcome", "failed", "recovered", "message"], rows
    )


def md_criteria(r: Report) -> str:
    if not r.criteria:
        return "## Success criteria\n\nThe plan names none."
    rows = [[c.title, c.status, c.value, c.target] for c in r.criteria]
    return "## Success criteria\n\n" + _md_table(
        ["criterion", "status", "final value", "target"], rows
    )


def md_charts(r: Report) -> str:
    if not r.charts:
        return "## Metrics\n\nNo samples were recorded."
    lines = ["## Metrics", "", "```"]
    for c in r.charts:
        values = finite(v for _, v in c.points)  # NaN and infinities are gaps
        span = f"{format_tminus(c.points[0][0])}..{format_tminus(c.points[-1][0])}"
        scale = f"{min(values):.4g}..{max(values):.4g}" if values else "no numbers"
        lines.append(f"{c.title[:28]:<28} {sparkline(values)}  {scale} {span}")
    lines.append("```")
    return "\n".join(lines)


# ---------------------------------------------------------------- HTML
def html_summary(r: Report) -> str:
    people = ", ".join(f"{escape(a)} ({n})" for a, n in r.participants) or "nobody acted"
    note = f" — {escape(r.outcome_note)}" if r.outcome_note else ""
    return (
        f"<header><h1>{escape(r.launch)}: launch retrospective</h1>"
        f'<p class="outcome outcome-{escape(r.outcome)}">{escape(r.outcome)}{note}</p><dl>'
        f"<dt>Environment</dt><dd>{escape(r.environment)}</dd>"
        f"<dt>Plan</dt><dd>{escape(r.plan or '—')} ({escape(r.mode or 'run')})</dd>"
        f"<dt>T-0</dt><dd>{escape(r.t0 or 'unknown')}</dd>"
        f"<dt>Session</dt><dd><code>{escape(r.session_id)}</code>, {escape(r.started)} to "
        f"{escape(r.ended)}, {r.events} events</dd>"
        f"<dt>Participants</dt><dd>{people}</dd></dl></header>"
    )


def _html_table(head: list[str], rows: list[list[str]], cls: str = "") -> str:
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    trs = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f'<table class="{cls}"><thead><tr>{th}</tr></thead><tbody>{trs}</tbody></table>'


def html_decision_rows(entries: Sequence[Entry]) -> str:
    """Decisions as timeline rows: the report's whole timeline, the status page's latest."""
    return "".join(
        f'<li class="kind-{escape(e.kind)}"><time>{escape(e.tminus)}</time>'
        f'<span class="kind">{escape(e.kind)}</span><span class="who">{escape(e.actor)}</span>'
        f'<span class="what">{escape(e.text)}</span></li>'
        for e in entries
    )


def html_timeline(r: Report) -> str:
    items = html_decision_rows(r.timeline)
    body = f'<ol class="timeline" id="timeline">{items}</ol>' if items else "<p>No decisions.</p>"
    return f"<section><h2>Timeline of decisions</h2>{body}</section>"


def html_final_state(r: Report) -> str:
    """The state as the session ended, drawn by the status page's own parts."""
    s = r.final
    if s is None:
        return ""
    parts = (
        state_parts.phase_progress(s)
        + state_parts.rollout_weight(s)
        + state_parts.triggers_table(s)
        + state_parts.key_metrics(s, r.history)
    )
    return f'<section id="final"><h2>At the end</h2><div class="state">{parts}</div></section>'


def md_final_state(r: Report) -> str:
    """The state as the session ended, in the words a status update uses."""
    if r.final is None:
        return ""
    return "## At the end\n\n" + "\n".join(f"    {line}" for line in status_lines(r.final))


def html_phases(r: Report) -> str:
    rows = [
        [p.title, p.first or "—", p.signed_off or "not signed off", p.duration or "—", p.by]
        for p in r.phases
    ]
    return (
        "<section><h2>Phases</h2>"
        + _html_table(["phase", "first activity", "signed off", "took", "by"], rows)
        + "</section>"
    )


def html_incidents(r: Report) -> str:
    if not r.incidents:
        return "<section><h2>Failed checks</h2><p>No check failed.</p></section>"
    rows = [
        [c.title, c.outcome, c.failed_at, c.recovered_at or "never", c.message] for c in r.incidents
    ]
    return (
        "<section><h2>Failed checks</h2>"
        + _html_table(["check", "outcome", "failed", "recovered", "message"], rows)
        + "</section>"
    )


def html_criteria(r: Report) -> str:
    if not r.criteria:
        return "<section><h2>Success criteria</h2><p>The plan names none.</p></section>"
    rows = [[c.title, c.status, c.value, c.target] for c in r.criteria]
    return (
        "<section><h2>Success criteria</h2>"
        + _html_table(["criterion", "status", "final value", "target"], rows)
        + "</section>"
    )


def html_charts(r: Report) -> str:
    if not r.charts:
        return "<section><h2>Metrics</h2><p>No samples were recorded.</p></section>"
    return (
        '<section id="charts"><h2>Metrics</h2>'
        + "".join(svg_chart(c) for c in r.charts)
        + "</section>"
    )


Component = Callable[[Report], str]
MARKDOWN: list[Component] = [
    md_summary,
    md_final_state,
    md_timeline,
    md_phases,
    md_incidents,
    md_criteria,
    md_charts,
]
HTML: list[Component] = [
    html_summary,
    html_final_state,
    html_timeline,
    html_phases,
    html_incidents,
    html_criteria,
    html_charts,
]
