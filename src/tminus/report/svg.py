"""Metric drawings as inline SVG: no script, no external file, prints as drawn. The
report's charts and the small sparklines beside key metrics (status page, report) share
one scaling, so a value sits at the same height in both. NaN and infinities are gaps:
they are not drawn and do not stretch the scale."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from tminus.core.durations import format_tminus
from tminus.report.model import Chart

Point = tuple[float, float]


def scaled(
    points: Sequence[Point],
    width: float,
    height: float,
    pad: float,
    xs: Sequence[float] | None = None,
) -> list[Point]:
    """Points mapped into a width x height box (y grows downwards), `pad` inside its edges;
    across the span of `xs` when given (a chart's whole time span, gaps included)."""
    xs = xs or [p[0] for p in points]
    ys = [p[1] for p in points]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    xspan = (x1 - x0) or 1.0
    yspan = (y1 - y0) or 1.0
    return [
        (
            pad + (x - x0) / xspan * (width - 2 * pad),
            height - pad - (y - y0) / yspan * (height - 2 * pad),
        )
        for x, y in points
    ]


def polyline(points: Sequence[Point]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)


def svg_sparkline(values: Sequence[float], width: int = 72, height: int = 18) -> str:
    """A metric's recent values as a small line; nothing without two values."""
    points = [(i, v) for i, v in enumerate(values) if math.isfinite(v)]
    if len(points) < 2:
        return ""
    path = polyline(scaled(points, width, height, 2))
    return (
        f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-hidden="true"><polyline class="line" fill="none" points="{path}"/></svg>'
    )


def svg_chart(c: Chart, width: int = 720, height: int = 140) -> str:
    """A metric's recorded samples as a line chart, with trigger, rollout and rollback marks."""
    pad = 4
    xs = [p[0] for p in c.points]
    x0, x1 = min(xs), max(xs)
    points = [p for p in c.points if math.isfinite(p[1])]
    ys = [p[1] for p in points]
    scale = f"{min(ys):.4g} to {max(ys):.4g}" if ys else "no numbers"
    xspan = (x1 - x0) or 1.0

    def x(v: float) -> float:
        return pad + (v - x0) / xspan * (width - 2 * pad)

    path = polyline(scaled(points, width, height, pad, xs)) if points else ""
    marks = "".join(
        f'<line class="mark" x1="{x(t):.1f}" y1="0" x2="{x(t):.1f}" y2="{height}">'
        f"<title>{escape(format_tminus(t))} {escape(label)}</title></line>"
        for t, label in c.marks
        if x0 <= t <= x1
    )
    return (
        f'<figure class="chart" data-metric="{escape(c.id)}"><figcaption>{escape(c.title)} '
        f"<small>{scale} · {escape(format_tminus(x0))} to "
        f"{escape(format_tminus(x1))}</small></figcaption>"
        f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(c.title)}">{marks}'
        f'<polyline class="line" fill="none" points="{path}"/></svg></figure>'
    )
