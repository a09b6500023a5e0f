"""Values as the commander reads them, by the metric's unit; and text sparklines."""

from __future__ import annotations

import math

BLOCKS = "▁▂▃▄▅▆▇█"


def format_metric(value: float | None, unit: str) -> str:
    if value is None or math.isnan(value):
        return "-"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if unit == "ratio":
        pct = value * 100
        return f"{pct:.3g}%" if abs(pct) < 10 else f"{pct:.1f}%"
    if unit == "seconds":
        return f"{value * 1000:.0f}ms" if abs(value) < 1 else f"{value:.2f}s"
    if unit == "per_second":
        return f"{value / 1000:.1f}k/s" if abs(value) >= 1000 else f"{value:.3g}/s"
    if unit == "bytes":
        for suffix in ("B", "KB", "MB", "GB"):
            if abs(value) < 1024:
                return f"{value:.3g}{suffix}"
            value /= 1024
        return f"{value:.3g}TB"
    if unit == "count":
        return f"{value:,.0f}"
    return f"{value:.4g}"


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
