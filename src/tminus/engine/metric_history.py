"""A metric's history for views: the samples in the session log, plus the poller's own
readings where the log has none (before the session's first sample, and since its last).

Between its first and last recorded sample every console, the writer and a read-only
follower alike, shows exactly the log's numbers; only the live edge is each one's own
poll. No I/O here: the log is already folded, the poller already in memory.
"""

from __future__ import annotations

from collections.abc import Iterable

Point = tuple[float, float]  # (unix time of the reading, value)
SAME_READING = 0.01  # seconds: a logged sample and the live point it came from


def merged_history(
    recorded: Iterable[Point], live: Iterable[Point], *, start: float, end: float
) -> list[Point]:
    """Points in [start, end], oldest first."""
    logged = sorted(p for p in recorded if start <= p[0] <= end)
    own = sorted(p for p in live if start <= p[0] <= end)
    if not logged:
        return own
    first, last = logged[0][0], logged[-1][0]
    before = [p for p in own if p[0] < first - SAME_READING]
    after = [p for p in own if p[0] > last + SAME_READING]
    return before + logged + after
