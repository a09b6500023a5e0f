"""Values as the commander reads them, by the metric's unit; and text sparklines."""

from __future__ import annotations

import math

from tminus.core.units import format_metric

__all__ = ["format_metric", "resample", "scale_for", "sparkline", "time_columns"]

BLOCKS = "▁▂▃▄▅▆▇█"


RATIO_SPAN = 0.05  # a ratio's scale spans at least 5% of its value: 98.6 -> 95% is no cliff


def scale_for(values: list[float], unit: str) -> tuple[float, float]:
    """The (low, high) a sparkline is drawn against, shown beside it. A ratio is anchored
    to a window of at least RATIO_SPAN of its highest value, ending there, so a flat 100%
    draws at the top and a small dip stays small (a tiny error rate keeps its own range);
    other units span their own range."""
    vals = [v for v in values if not math.isnan(v)]
    if not vals:
        return (0.0, 0.0)
    lo, hi = min(vals), max(vals)
    span = RATIO_SPAN * abs(hi)
    if unit == "ratio" and hi - lo < span:
        return (hi - span, hi)
    return (lo, hi)


def sparkline(
    values: list[float], width: int, lo: float | None = None, hi: float | None = None
) -> str:
    """The last `width` values as block characters; one colour, a few bytes a cell.
    Drawn against (lo, hi) when given; a flat line sits mid-height, not at the bottom."""
    vals = [v for v in values[-width:] if not math.isnan(v)] if width > 0 else []
    if not vals:
        return ""
    lo = min(vals) if lo is None else lo
    hi = max(vals) if hi is None else hi
    if hi - lo < 1e-12:
        return BLOCKS[len(BLOCKS) // 2 - 1] * len(vals)
    scale = (len(BLOCKS) - 1) / (hi - lo)
    top = len(BLOCKS) - 1
    return "".join(BLOCKS[min(top, max(0, round((v - lo) * scale)))] for v in vals)


def time_columns(points: list[tuple[float, float]], width: int, bucket: float) -> list[float]:
    """The last `width` columns of a fixed time grid (`bucket` seconds each, averaged):
    a new poll changes the newest column only, and the history scrolls left instead of
    being resampled (every column redrawn) on every poll."""
    if width <= 0 or not points or bucket <= 0:
        return []
    sums: dict[int, list[float]] = {}
    for t, v in points:
        if not math.isnan(v):
            sums.setdefault(int(t // bucket), []).append(v)
    keys = sorted(sums)[-width:]
    return [sum(sums[k]) / len(sums[k]) for k in keys]


def resample(points: list[tuple[float, float]], width: int) -> list[float]:
    """Average points into `width` buckets so a long history still fits a short line."""
    if width <= 0:
        return []
    if len(points) <= width:
        return [v for _, v in points]
    size = len(points) / width
    out = []
    for i in range(width):
        chunk = points[int(i * size) : int((i + 1) * size)] or [points[-1]]
        out.append(sum(v for _, v in chunk) / len(chunk))
    return out
