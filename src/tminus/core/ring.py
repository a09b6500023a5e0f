"""A bounded series of (time, value) points in two arrays of doubles.

A deque of tuples costs about 110 bytes a point (the tuple, two float objects, the slot);
this costs 16 to 32. A console keeps a day of points for every metric it polls, so the
difference is megabytes that would otherwise fill for hours after start.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from typing import overload

Point = tuple[float, float]


class PointRing:
    """The newest `maxlen` points, oldest first; appending past `maxlen` drops the oldest.

    The arrays grow to twice `maxlen` before the dropped prefix is cut in one step, so an
    append costs O(1) amortized and no more than 2 x maxlen x 16 bytes are ever held.
    """

    __slots__ = ("_start", "_times", "_values", "maxlen")

    def __init__(self, points: Iterable[Point] = (), maxlen: int = 1440) -> None:
        if maxlen < 1:
            raise ValueError("maxlen must be at least 1")
        self.maxlen = maxlen
        self._times = array("d")
        self._values = array("d")
        self._start = 0  # index of the oldest kept point
        for t, v in points:
            self.append((t, v))

    def append(self, point: Point) -> None:
        self._times.append(point[0])
        self._values.append(point[1])
        if len(self._times) - self._start > self.maxlen:
            self._start += 1
            if self._start >= self.maxlen:  # cut the dropped half at once
                del self._times[: self._start]
                del self._values[: self._start]
                self._start = 0

    def __len__(self) -> int:
        return len(self._times) - self._start

    def __bool__(self) -> bool:
        return len(self) > 0

    def __iter__(self) -> Iterator[Point]:
        return zip(self._times[self._start :], self._values[self._start :], strict=True)

    @overload
    def __getitem__(self, index: int) -> Point: ...
    @overload
    def __getitem__(self, index: slice) -> list[Point]: ...
    def __getitem__(self, index: int | slice) -> Point | list[Point]:
        if isinstance(index, slice):
            return list(self)[index]
        n = len(self)
        i = index + n if index < 0 else index
        if not 0 <= i < n:
            raise IndexError("PointRing index out of range")
        return (self._times[self._start + i], self._values[self._start + i])

    def since(self, start: float) -> list[Point]:
        """The points at or after `start` (times ascending, as a poller appends them)."""
        i = bisect_left(self._times, start, self._start)
        return list(zip(self._times[i:], self._values[i:], strict=True))

    def times(self) -> array[float]:
        return self._times[self._start :]

    def values(self) -> array[float]:
        return self._values[self._start :]

    def copy(self) -> PointRing:
        new = PointRing(maxlen=self.maxlen)
        new._times = self.times()
        new._values = self.values()
        return new

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PointRing):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"PointRing({list(self)!r}, maxlen={self.maxlen})"
