"""A concurrency gate: up to N checks at once, or one `exclusive` check alone.

Waiters are admitted in arrival order from a FIFO, so a release wakes only the waiters it
admits (a condition variable's notify_all would wake all thousand queued checks on every
release). An exclusive waiter at the head holds back the shared ones behind it, so it is
never starved; it runs once the checks already running have finished.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Coroutine
from typing import Any


class Gate:
    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self.active = 0
        self.exclusive_active = False
        self._waiters: deque[tuple[asyncio.Future[None], bool]] = deque()

    def _can_admit(self, exclusive: bool) -> bool:
        if self.exclusive_active:
            return False
        return self.active == 0 if exclusive else self.active < self.limit

    def _admit(self, exclusive: bool) -> None:
        if exclusive:
            self.exclusive_active = True
        else:
            self.active += 1

    def _wake(self) -> None:
        while self._waiters:
            fut, exclusive = self._waiters[0]
            if fut.done():  # cancelled while waiting
                self._waiters.popleft()
                continue
            if not self._can_admit(exclusive):
                return
            self._waiters.popleft()
            self._admit(exclusive)
            fut.set_result(None)

    async def _acquire(self, exclusive: bool) -> None:
        if not self._waiters and self._can_admit(exclusive):
            self._admit(exclusive)
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((fut, exclusive))
        try:
            await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():  # admitted, then cancelled: give it back
                self._release(exclusive)
            raise

    def _release(self, exclusive: bool) -> None:
        if exclusive:
            self.exclusive_active = False
        else:
            self.active -= 1
        self._wake()

    def shared(self) -> _Slot:
        return _Slot(self, False)

    def exclusive(self) -> _Slot:
        return _Slot(self, True)


class _Slot:
    """`async with gate.shared():` as a plain object: a generator-based context manager
    costs a generator and two coroutines per check."""

    __slots__ = ("_exclusive", "_gate")

    def __init__(self, gate: Gate, exclusive: bool) -> None:
        self._gate = gate
        self._exclusive = exclusive

    def __aenter__(self) -> Coroutine[Any, Any, None]:
        return self._gate._acquire(self._exclusive)  # awaited by `async with` itself

    async def __aexit__(self, *exc: object) -> None:
        self._gate._release(self._exclusive)
