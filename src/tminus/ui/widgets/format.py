"""Values as the commander reads them, by the metric's unit; and text sparklines."""

from __future__ import annotations

import math

from tminus.core.sparkline import BLOCKS, blocks, finite
from tminus.core.units import format_metric

__all__ = [
    "BLOCKS",
    "format_metric",
    "scale_for",
    "scale_label",
    "scaled_sparkline",
    "sparkline",
    "time_columns",
]


RATIO_SPAN = 0.05  # a ratio's scale spans at least 5% of its value: 98.6 -> 95% is no cliff


def scale_for(values: list[float], unit: str) -> tuple[float, float]:
    """The (low, high) a sparkline is drawn against, shown beside it. A ratio is anchored
    to a window of at least RATIO_SPAN of its highest value, ending there, so a flat 100%
    draws at the top and a small dip stays small (a tiny error rate keeps its own range);
    other units span their own range."""
    vals = finite(values)
    if not vals:
        return (0.0, 0.0)
    lo, hi = min(vals), max(vals)
    span = RATIO_SPAN * abs(hi)
    if unit == "ratio" and hi - lo < span:
        return (hi - span, hi)
    return (lo, hi)


def scale_label(lo: float, hi: float, unit: str) -> str:
    """ "low-high " shown before a sparkline; more digits when the unit's rounding would
    show a moving line as one value ("12-12" for 11.6 to 12.4)."""
    low, high = format_metric(lo, unit), format_metric(hi, unit)
    if low == high and hi - lo > 1e-12:
        low, high = f"{lo:.4g}", f"{hi:.4g}"
    return f"{low}-{high} "


def sparkline(
    values: list[float], width: int, lo: float | None = None, hi: float | None = None
) -> str:
    """The last `width` values as block characters; one colour, a few bytes a cell."""
    return blocks(values[-width:], lo, hi) if width > 0 else ""


def scaled_sparkline(values: list[float], width: int, unit: str, head: float | None) -> str:
    """The scale label, then the newest columns as a sparkline, in `width` cells. The
    scale spans exactly the columns drawn and the head (the latest sample, shown as the
    metric's value): a column averages its samples, so the latest one can lie above or
    below every column, and a scale of the columns alone read "49-50" beside a value of
    51. Columns the label's room leaves out do not stretch the scale either."""
    if not values or width <= 0:
        return ""
    extra = [head] if head is not None and math.isfinite(head) else []
    room = width
    for _ in range(3):  # a label shorter than first thought never draws unscaled columns
        drawn = values[-room:] if room else []
        lo, hi = scale_for(drawn + extra, unit)
        label = scale_label(lo, hi, unit)
        fits = max(0, width - len(label))
        if fits >= room:
            break
        room = fits
    room = min(room, max(0, width - len(label)))
    if not room:
        return ""  # a scale with no line under it says nothing
    return label + sparkline(drawn[-room:], room, lo, hi)


def time_columns(points: list[tuple[float, float]], width: int, bucket: float) -> list[float]:
    """The last `width` columns of a fixed time grid (`bucket` seconds each, averaged):
    a new poll changes the newest column only, and the history scrolls left instead of
    being resampled (every column redrawn) on every poll."""
    if width <= 0 or not points or bucket <= 0:
        return []
    sums: dict[int, list[float]] = {}
    for t, v in points:
        if math.isfinite(v):
            sums.setdefault(int(t // bucket), []).append(v)
    keys = sorted(sums)[-width:]
    return [sum(sums[k]) / len(sums[k]) for k in keys]
