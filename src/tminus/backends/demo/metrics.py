"""DemoMetrics: the MetricsBackend of the demo world, answering PromQL like Prometheus would.

Queries are parsed (promql.py) and evaluated against the world's series (evaluate.py)
rather than matched as text, so a plan edited to use another window, aggregation or
label still gets a coherent answer.
"""

from __future__ import annotations

import asyncio
import math
from typing import TYPE_CHECKING

from tminus.backends.base import BackendError, QueryResult, RangeResult
from tminus.backends.demo.world import DemoWorld
from tminus.core.series import SeriesValue

if TYPE_CHECKING:
    from tminus.backends.demo.evaluate import Evaluator
    from tminus.backends.demo.promql import Node, QueryError

MAX_POINTS = 11_000  # Prometheus refuses range queries with more points than this
QUERY_LATENCY = 0.002  # seconds: yields to the loop like a real round trip would
# points evaluated between two turns of the event loop (a few ms of CPU): a range is
# computed here, on the loop, where a real server would compute it elsewhere
POINTS_PER_TURN = 8


class DemoMetrics:
    def __init__(self, world: DemoWorld) -> None:
        self.world = world
        self._evaluator: Evaluator | None = None  # the PromQL engine loads on the first query
        # one range at a time: the console's start backfills every metric at once, and a
        # slice of each of the demo's 11 ranges, all between two turns of the loop, stalled
        # keys for a third of a second and more
        self._ranges: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None

    @property
    def _eval(self) -> Evaluator:
        if self._evaluator is None:
            from tminus.backends.demo.evaluate import Evaluator

            self._evaluator = Evaluator(self.world)
        return self._evaluator

    async def query(self, promql: str, *, timeout: float) -> QueryResult:
        node = _parse(promql)
        await asyncio.sleep(QUERY_LATENCY)
        return self.instant(promql, node, self.world.time())

    async def query_range(
        self, promql: str, *, start: float, end: float, step: float, timeout: float
    ) -> RangeResult:
        node = _parse(promql)
        if step <= 0 or end < start:
            raise BackendError("query", "query_range needs step > 0 and end >= start")
        if (end - start) / step >= MAX_POINTS:
            raise BackendError("query", f"more than {MAX_POINTS} points: raise the step")
        await asyncio.sleep(QUERY_LATENCY)
        async with self._range_lock():
            end = min(end, self.world.time())  # the world has no future samples
            points: list[tuple[float, float]] = []
            for i in range(math.floor((end - start) / step) + 1 if end >= start else 0):
                if i and i % POINTS_PER_TURN == 0:
                    await asyncio.sleep(0)  # the UI's keys and redraws get their turn
                at = start + i * step
                result = self.instant(promql, node, at)
                if result.value is not None:
                    points.append((at, result.value))
        return RangeResult(tuple(points))

    def _range_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()  # a lock waits on one loop; a world may see several
        if self._ranges is None or self._ranges[0] is not loop:
            self._ranges = (loop, asyncio.Lock())
        return self._ranges[1]

    def instant(self, promql: str, node: Node, t: float) -> QueryResult:
        from tminus.backends.demo.promql import QueryError

        try:
            value = self._eval.instant(node, t)
        except QueryError as exc:
            raise _bad(promql, exc) from None
        if isinstance(value, float):
            return QueryResult.of([SeriesValue((), value)])
        return QueryResult.of([SeriesValue(labels, v) for labels, v in value])


def _parse(promql: str) -> Node:
    from tminus.backends.demo.promql import QueryError, parse

    try:
        return parse(promql)
    except QueryError as exc:
        raise _bad(promql, exc) from None


def _bad(promql: str, exc: QueryError) -> BackendError:
    return BackendError("query", f"the demo world has no series for this query: {promql} ({exc})")
