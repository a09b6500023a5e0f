"""Text sparklines, shared by the console and the Markdown report: block characters for a
run of numbers. Values that are not finite (NaN, ±Inf: a PromQL division by zero) are
gaps, never a cliff or a crash."""

from __future__ import annotations

import math
from collections.abc import Iterable

BLOCKS = "▁▂▃▄▅▆▇█"
_TOP = len(BLOCKS) - 1
_FLAT = BLOCKS[len(BLOCKS) // 2 - 1]  # a flat line sits mid-height, not at the bottom


def finite(values: Iterable[float]) -> list[float]:
    return [v for v in values if math.isfinite(v)]


def blocks(values: list[float], lo: float | None = None, hi: float | None = None) -> str:
    """One block character per finite value, drawn against (lo, hi) when given, else
    against the values' own range."""
    vals = finite(values)
    if not vals:
        return ""
    lo = min(vals) if lo is None or not math.isfinite(lo) else lo
    hi = max(vals) if hi is None or not math.isfinite(hi) else hi
    if hi - lo < 1e-12:
        return _FLAT * len(vals)
    scale = _TOP / (hi - lo)
    return "".join(BLOCKS[min(_TOP, max(0, round((v - lo) * scale)))] for v in vals)


def thin_to(values: list[float], width: int) -> list[float]:
    """At most `width` finite values: each bucket's largest, so a spike survives."""
    vals = finite(values)
    if len(vals) <= width:
        return vals
    size = len(vals) / width
    return [max(vals[int(i * size) : int((i + 1) * size)] or vals[-1:]) for i in range(width)]
