"""Follow a session file another process writes: new complete lines become events."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from tminus.engine.events import EventSchemaError
from tminus.engine.session import Event, parse_line


def read_new(path: Path, offset: int) -> tuple[list[Event], int]:
    """Complete lines after `offset`; a line still being written waits for the next read."""
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            data = fh.read()
    except FileNotFoundError:
        return [], offset
    end = data.rfind(b"\n")
    if end < 0:
        return [], offset
    events = []
    for raw in data[: end + 1].splitlines():
        if not raw.strip():
            continue
        try:
            events.append(parse_line(raw))
        except EventSchemaError:  # the same lines the loader reports and skips
            continue
    return events, offset + end + 1


async def follow(
    path: Path, offset: int, deliver: Callable[[Event], None], interval: float = 1.0
) -> None:
    """Poll until cancelled; reads happen in a thread so the loop never waits on the disk."""
    while True:
        events, offset = await asyncio.to_thread(read_new, path, offset)
        for ev in events:
            deliver(ev)
        await asyncio.sleep(interval)
