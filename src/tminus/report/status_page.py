"""The live status page for observers: one HTML page whose body is re-rendered from the
folded session state and pushed over server-sent events.

Rendering happens once per change on the server, for every observer at once; the browser
only swaps the fragment in and ticks the T-minus clock. The pieces are small functions of
a `Summary` (phase, clock, rollout weight, triggers, metrics, decisions) so a report can
reuse them.
"""

from __future__ import annotations

from html import escape

from tminus.engine.summary import Summary

STATE_CLASS = {"ok": "ok", "warn": "warn", "bad": "bad", "no_data": "muted"}


def _empty(section_id: str, title: str, text: str) -> str:
    return f'<section id="{section_id}"><h2>{title}</h2><p class="muted">{text}</p></section>'


def phase_html(s: Summary) -> str:
    rows = []
    for p in s.phases:
        done = "signed off" if p.signed_off else f"{p.green}/{p.total} green"
        cls = "ok" if p.signed_off else ""
        rows.append(
            f'<li class="{cls}"><span class="label">{escape(p.label)}</span> '
            f'{escape(p.title)} <span class="muted">{done}</span></li>'
        )
    return (
        f'<section id="phase"><h2>Phase</h2><p class="big">{escape(s.phase)}</p>'
        f"<ul>{''.join(rows)}</ul></section>"
    )


def rollout_html(s: Summary) -> str:
    if not s.steps:
        return _empty("rollout", "Rollout", "no rollout in this plan")
    pending = (
        f' <span class="warn">moving to {s.pending_weight}%</span>'
        if s.pending_weight is not None
        else ""
    )
    steps = " ".join(
        f'<span class="step{" done" if w <= s.weight else ""}">{w}%</span>' for w in s.steps
    )
    return (
        f'<section id="rollout"><h2>Rollout</h2>'
        f'<p class="big"><span id="weight">{s.weight}%</span> on the new version{pending}</p>'
        f'<div class="bar"><div style="width:{max(0, min(100, s.weight))}%"></div></div>'
        f"<p>{steps}</p></section>"
    )


def triggers_html(s: Summary) -> str:
    if not s.triggers:
        return '<section id="triggers"><h2>Triggers</h2><p class="muted">none</p></section>'
    rows = []
    for t in s.triggers:
        if t.firing:
            since = f" since {escape(t.since or '')}" if t.since else ""
            rows.append(f'<li class="bad"><b>FIRING</b> {escape(t.title)}{since}</li>')
        else:
            rows.append(f'<li class="ok">quiet · {escape(t.title)}</li>')
    banner = f'<p class="alarm">{len(s.firing)} rollback trigger(s) firing</p>' if s.firing else ""
    return f'<section id="triggers"><h2>Triggers</h2>{banner}<ul>{"".join(rows)}</ul></section>'


def metrics_html(s: Summary) -> str:
    if not s.metrics:
        return '<section id="metrics"><h2>Key metrics</h2><p class="muted">none</p></section>'
    rows = "".join(
        f'<tr class="{STATE_CLASS.get(m.state, "")}"><td>{escape(m.title)}</td>'
        f'<td class="num">{escape(m.text)}</td><td>{escape(m.state.replace("_", " "))}</td></tr>'
        for m in s.metrics
    )
    return f'<section id="metrics"><h2>Key metrics</h2><table>{rows}</table></section>'


def decisions_html(s: Summary) -> str:
    if not s.decisions:
        return _empty("decisions", "Latest decisions", "none yet")
    rows = "".join(
        f'<li><span class="muted">{escape(d.ts)}</span> {escape(d.text)}'
        f"{f' <span class=muted>({escape(d.actor)})</span>' if d.actor else ''}</li>"
        for d in s.decisions
    )
    return f'<section id="decisions"><h2>Latest decisions</h2><ul>{rows}</ul></section>'


def body_html(s: Summary) -> str:
    """The part that changes: pushed to every observer as one SSE message."""
    rollback = f'<p class="alarm">Rollback {escape(s.rollback)}</p>' if s.rollback else ""
    closed = '<p class="muted">This session has ended.</p>' if s.closed else ""
    return (
        f'{rollback}{closed}<div class="grid">{phase_html(s)}{rollout_html(s)}'
        f"{triggers_html(s)}{metrics_html(s)}{decisions_html(s)}</div>"
    )


CSS = """
body{font:15px/1.4 system-ui,sans-serif;margin:0;background:#111;color:#eee}
header{display:flex;gap:1.5em;align-items:baseline;padding:.6em 1em;background:#222}
header h1{font-size:1.2em;margin:0}
#clock{font:bold 1.6em ui-monospace,monospace;color:#6cf}
.env{background:#a33;color:#fff;padding:0 .4em;font-weight:bold}
main{padding:1em}.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(20em,1fr));gap:1em}
section{background:#1b1b1b;padding:.6em 1em;border-radius:4px}
h2{font-size:1em;margin:.2em 0;color:#aaa}
ul{list-style:none;padding:0;margin:.3em 0}.big{font-size:1.3em;margin:.2em 0}
.ok{color:#7d7}.warn{color:#fc5}.bad{color:#f66}.muted{color:#888}
.alarm{background:#a00;color:#fff;font-weight:bold;padding:.4em 1em;margin:0 0 1em}
.bar{height:.6em;background:#333}.bar div{height:100%;background:#6cf}
.step{padding:0 .3em;color:#888}.step.done{color:#6cf}td.num{text-align:right;padding:0 1em}
#conn{margin-left:auto;color:#888}
"""

SCRIPT = """
const t0 = Date.parse(document.body.dataset.t0);
function pad(n){return String(n).padStart(2,'0')}
function tick(){
  const d = (Date.now() - t0) / 1000, s = Math.floor(Math.abs(d));
  const days = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600);
  const m = Math.floor(s % 3600 / 60), sec = s % 60;
  document.getElementById('clock').textContent =
    'T' + (d < 0 ? '-' : '+') + (days ? days + 'd ' : '') + pad(h) + ':' + pad(m) + ':' + pad(sec);
}
tick(); setInterval(tick, 1000);
const conn = document.getElementById('conn');
const source = new EventSource('status/events');
source.addEventListener('state', e => {
  const msg = JSON.parse(e.data);
  document.getElementById('live').innerHTML = msg.html;
  document.body.dataset.seq = msg.seq;
  conn.textContent = 'live · event ' + msg.seq;
});
source.onerror = () => { conn.textContent = 'reconnecting…'; };
"""


def page_html(s: Summary, seq: int) -> str:
    """The whole page, already showing the current state (readable without JavaScript)."""
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>{escape(s.launch)} · status</title><style>{CSS}</style></head>"
        f'<body data-t0="{escape(s.t0)}" data-seq="{seq}">'
        f"<header><h1>{escape(s.launch)}</h1>"
        f'<span class="env">{escape(s.environment.upper())}</span>'
        f'<span id="clock">{escape(s.tminus)}</span><span id="conn">connecting…</span></header>'
        f'<main id="live">{body_html(s)}</main>'
        f"<script>{SCRIPT}</script></body></html>"
    )
