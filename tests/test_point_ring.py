"""PointRing behaves as a deque of (time, value) with a maxlen, in bounded compact memory."""

from __future__ import annotations

from collections import deque

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tminus.core.ring import PointRing

points = st.lists(
    st.tuples(st.floats(allow_nan=False, width=64), st.floats(allow_nan=False, width=64)),
    max_size=300,
)


@given(points, st.integers(min_value=1, max_value=40))
def test_it_keeps_what_a_bounded_deque_keeps(pts, maxlen):
    ring, model = PointRing(maxlen=maxlen), deque(maxlen=maxlen)
    for p in pts:
        ring.append(p)
        model.append(p)
        assert len(ring) == len(model)
        assert ring._times.buffer_info()[1] <= 2 * maxlen  # never more than twice the bound
    assert list(ring) == list(model)
    assert bool(ring) == bool(model)
    if model:
        assert ring[0] == model[0] and ring[-1] == model[-1]
        assert ring[-len(model)] == model[0]
    assert ring.copy() == ring and list(ring.copy()) == list(model)


def test_since_gives_the_points_from_a_time_on():
    ring = PointRing([(float(t), t * 10.0) for t in range(10)], maxlen=6)  # keeps 4..9
    assert ring.since(6.5) == [(7.0, 70.0), (8.0, 80.0), (9.0, 90.0)]
    assert ring.since(0.0) == list(ring)
    assert ring.since(100.0) == []


def test_out_of_range_and_bad_bounds_fail_as_a_sequence_does():
    ring = PointRing([(1.0, 2.0)], maxlen=3)
    with pytest.raises(IndexError):
        ring[1]
    with pytest.raises(IndexError):
        PointRing(maxlen=3)[-1]
    with pytest.raises(ValueError):
        PointRing(maxlen=0)


def test_a_day_of_points_is_compact():
    ring = PointRing(maxlen=1440)
    for t in range(5000):
        ring.append((1.7e9 + t, 0.001 * t))
    held = ring._times.buffer_info()[1] + ring._values.buffer_info()[1]
    assert held * 8 <= 2 * 2 * 1440 * 8  # 16 bytes a point, at most twice the bound
