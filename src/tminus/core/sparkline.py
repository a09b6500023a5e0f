"""Text sparklines, shared by the console and the Markdown report: block characters for a
run of numbers. Values that are not finite (NaN, ±Inf: a PromQL division by zero) are
gaps, never a cliff or a crash."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

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
    """At most `width` finite values: each bucket's extreme, so a spike (or a dip) survives."""
    vals = finite(values)
    return [vals[i] for i in thin_indexes(vals, width)]


def thin_indexes(values: Sequence[float], most: int) -> list[int]:
    """The indexes of at most `most` values, one a bucket: the bucket's extreme (its first
    value of the largest magnitude), so a spike up or down survives. A value that is not
    finite (a gap) is picked only from a bucket that holds nothing else. Each bucket is
    scanned in C: a week of samples is never copied into a list of points."""
    n = len(values)
    if n <= most:
        return list(range(n))
    size = n / most
    out = []
    for b in range(most):
        lo, hi = int(b * size), int((b + 1) * size)
        out.append(lo + _extreme(values[lo:hi]) if hi > lo else n - 1)
    return out


def _extreme(bucket: Sequence[float]) -> int:
    top, bottom = max(bucket), min(bucket)
    if math.isfinite(top) and math.isfinite(bottom):  # a NaN after the first is passed over
        if abs(top) != abs(bottom):
            return bucket.index(top if abs(top) > abs(bottom) else bottom)
        return min(bucket.index(top), bucket.index(bottom))
    # a NaN first makes max and min NaN (and NaN is never found by index); ±Inf is no
    # point to draw: the first finite value of the largest magnitude, in Python
    numbers = [i for i, v in enumerate(bucket) if math.isfinite(v)]
    return max(numbers, key=lambda i: abs(bucket[i])) if numbers else 0
