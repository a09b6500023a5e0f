"""Values as the commander reads them, by the metric's unit; and text sparklines."""

from __future__ import annotations

import math

from tminus.core.units import format_metric

__all__ = ["format_metric", "resample", "sparkline"]

BLOCKS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float], width: int) -> str:
    """The last `width` values as block characters; one colour, a few bytes a cell."""
    vals = [v for v in values[-width:] if not math.isnan(v)] if width > 0 else []
    if not vals:
        return ""
    lo, hi = min(vals), max(vals)
    if hi - lo < 1e-12:
        return BLOCKS[0] * len(vals)
    scale = (len(BLOCKS) - 1) / (hi - lo)
    return "".join(BLOCKS[round((v - lo) * scale)] for v in vals)


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
