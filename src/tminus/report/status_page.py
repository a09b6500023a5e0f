"""The live status page for observers: one HTML page whose body is re-rendered from the
folded session state and pushed over server-sent events.

Rendering happens once per change on the server, for every observer at once; the browser
only swaps the fragment in and ticks the T-minus clock. The page is a shell around the
report's own parts: phase progress, rollout weight, triggers and key metrics from
`tminus.report.state_parts`, the latest decisions as the report's timeline rows, so the
status page and the retrospective cannot draw the same state two ways.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from tminus.engine.summary import Summary
from tminus.report import state_parts
from tminus.report.components import html_decision_rows
from tminus.report.model import Entry

DECISIONS = 8  # the latest decisions shown


def latest_decisions(entries: Sequence[Entry]) -> str:
    """The newest decisions first, as the report's timeline rows."""
    rows = html_decision_rows(list(reversed(entries[-DECISIONS:])))
    if not rows:
        return state_parts.section("decisions", "Latest decisions", state_parts.muted("none yet"))
    return state_parts.section("decisions", "Latest decisions", f'<ol class="timeline">{rows}</ol>')


def body_html(
    s: Summary, decisions: Sequence[Entry], history: Mapping[str, Sequence[float]]
) -> str:
    """The part that changes: pushed to every observer as one SSE message. Every section
    is a part the retrospective report draws the same way."""
    rollback = f'<p class="alarm">Rollback {escape(s.rollback)}</p>' if s.rollback else ""
    closed = '<p class="muted">This session has ended.</p>' if s.closed else ""
    return (
        f'{rollback}{closed}<div class="state">{state_parts.phase_progress(s)}'
        f"{state_parts.rollout_weight(s)}{state_parts.triggers_table(s)}"
        f"{state_parts.key_metrics(s, history)}{latest_decisions(decisions)}</div>"
    )


CSS = (
    """
body{font:15px/1.4 system-ui,sans-serif;margin:0;background:#111;color:#eee}
header{display:flex;gap:1.5em;align-items:baseline;padding:.6em 1em;background:#222}
header h1{font-size:1.2em;margin:0}
#clock{font:bold 1.6em ui-monospace,monospace;color:#6cf}
.env{background:#a33;color:#fff;padding:0 .4em;font-weight:bold}
main{padding:1em;--accent:#6cf}
section{background:#1b1b1b;padding:.6em 1em;border-radius:4px}
h2{font-size:1em;margin:.2em 0;color:#aaa}
.ok{color:#7d7}.warn{color:#fc5}.bad{color:#f66}.muted{color:#888}
.timeline{list-style:none;padding:0;margin:.3em 0}.timeline li{margin:.15em 0}
.timeline time{font-family:ui-monospace,monospace;color:#888;margin-right:.5em}
.timeline .kind{display:none}.timeline .who{color:#888;margin-right:.5em}
#conn{margin-left:auto;color:#888}
"""
    + state_parts.CSS
)

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


def page_html(
    s: Summary, seq: int, decisions: Sequence[Entry], history: Mapping[str, Sequence[float]]
) -> str:
    """The whole page, already showing the current state (readable without JavaScript)."""
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>{escape(s.launch)} · status</title><style>{CSS}</style></head>"
        f'<body data-t0="{escape(s.t0)}" data-seq="{seq}">'
        f"<header><h1>{escape(s.launch)}</h1>"
        f'<span class="env">{escape(s.environment.upper())}</span>'
        f'<span id="clock">{escape(s.tminus)}</span><span id="conn">connecting…</span></header>'
        f'<main id="live">{body_html(s, decisions, history)}</main>'
        f"<script>{SCRIPT}</script></body></html>"
    )
