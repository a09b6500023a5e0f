"""Spread bursts of work over turns of the event loop.

A hundred checks answered within the same millisecond all become ready in one turn of the
loop; run back to back, their follow-up work (judging, redacting, encoding the session
event, sending the next request) holds the loop for tens of milliseconds, and everything
else on it (the console's screen, a metric poll, a timer) waits for all of it. A Pacer
lets at most `limit` such steps through per turn; the others yield and go on in the next
turns, in arrival order. Throughput is unchanged: no step waits for time, only for its
turn.
"""

from __future__ import annotations

import asyncio
from collections import deque


class Pacer:
    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self.used = 0  # steps let through since the last reset
        self._reset_queued = False
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._loop: asyncio.AbstractEventLoop | None = None

    async def turn(self) -> None:
        """Return once this step may run: at once while this turn has room, else in a
        later turn, after the steps that were waiting before it."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a runner used again on a new loop: the old one's
            self._loop = loop  # reset may never have run
            self.used, self._reset_queued = 0, False
            self._waiters.clear()
        if self.used < self.limit and not self._waiters:
            self._admit()
            return
        fut: asyncio.Future[None] = loop.create_future()
        self._waiters.append(fut)
        await fut  # admitted by _reset (a cancelled waiter is skipped there)

    def _admit(self) -> None:
        self.used += 1
        if not self._reset_queued:  # call_soon is FIFO: the reset runs in the next turn
            self._reset_queued = True
            asyncio.get_running_loop().call_soon(self._reset)

    def _reset(self) -> None:
        self.used = 0
        self._reset_queued = False
        while self._waiters and self.used < self.limit:
            fut = self._waiters.popleft()
            if not fut.done():
                fut.set_result(None)
                self._admit()
