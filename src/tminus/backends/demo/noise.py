"""Deterministic noise and window averaging: values depend on (seed, name, time), never on
how often or in which order something was asked.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache


# a few buckets around the times being asked; 65,536 entries held ~16 MB for good
@lru_cache(maxsize=1 << 12)
def unit(seed: int, name: str, k: int) -> float:
    """A uniform value in [-1, 1) for bucket k; hashlib because hash() of str is salted."""
    digest = hashlib.blake2b(f"{seed}|{name}|{k}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**63 - 1.0


def smooth(seed: int, name: str, t: float, step: float = 15.0) -> float:
    """Noise in [-1, 1] that moves continuously between buckets of `step` seconds."""
    k = math.floor(t / step)
    frac = t / step - k
    a, b = unit(seed, name, k), unit(seed, name, k + 1)
    return a + (b - a) * frac


def daily(t: float, amplitude: float = 0.1, peak_hour: float = 16.0) -> float:
    """Daily traffic shape around 1.0, peaking at `peak_hour` UTC (the launch hour)."""
    return 1.0 + amplitude * math.cos(2 * math.pi * (t - peak_hour * 3600) / 86400)


def sample_points(
    start: float, end: float, breaks: Iterable[float]
) -> Iterator[tuple[float, float]]:
    """Midpoints and widths of cells that cover [start, end], for midpoint-rule averages.

    Cells sit on a grid fixed in world time, so the overlapping windows of a range query
    share their sample times (and the series' cache). Splitting at `breaks` makes
    piecewise-constant signals (maintenance mode, canary weight) average exactly.
    """
    step = max((end - start) / 60, 5.0)
    cuts = [start, *sorted(b for b in breaks if start < b < end), end]
    for a, b in itertools.pairwise(cuts):
        k = math.floor(a / step)
        while k * step < b:
            lo, hi = max(a, k * step), min(b, (k + 1) * step)
            if hi > lo:
                yield (lo + hi) / 2, hi - lo
            k += 1


def window_mean(
    fn: Callable[[float], float], start: float, end: float, breaks: Iterable[float]
) -> float:
    total = weight = 0.0
    for t, w in sample_points(start, end, breaks):
        total += fn(t) * w
        weight += w
    return total / weight if weight else fn(end)
