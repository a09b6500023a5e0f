"""Follow a session file another process writes: new complete lines become events."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from tminus.engine.events import EventSchemaError
from tminus.engine.session import Event, SessionError, holder_of, parse_line


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


def _holder(path: Path) -> str | None:
    try:
        return holder_of(path)
    except SessionError:  # a lock file that is not ours: not a writer gone
        return "another process"


async def follow(
    path: Path,
    offset: int,
    deliver: Callable[[Event], None],
    interval: float = 1.0,
    *,
    writer_gone: Callable[[str], None] | None = None,
) -> None:
    """Poll until cancelled; reads happen in a thread so the loop never waits on the disk.

    `writer_gone(previous)` is called once when the session's lock, held when following
    began, is released: the writer quit (or died), and the session can be taken over."""
    holder = await asyncio.to_thread(_holder, path) if writer_gone is not None else None
    while True:
        events, offset = await asyncio.to_thread(read_new, path, offset)
        for ev in events:
            deliver(ev)
        gone = holder is not None and await asyncio.to_thread(_holder, path) is None
        if gone and writer_gone is not None and holder is not None:
            writer_gone(holder)
            holder = None
        await asyncio.sleep(interval)
