"""Listing recorded sessions without reading whole files.

A file that cannot be used (damaged first line, a newer schema, a lock that is not a
regular file of ours) is listed with its problem; it never hides the others.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tminus.engine.events import EventSchemaError
from tminus.engine.session import (
    Event,
    SessionError,
    holder_of,
    open_regular,
    parse_line,
    session_files,
)

FIRST_LINE_LIMIT = 1 << 20  # a session.started line is small; more is damage
TAIL = 65536


@dataclass(frozen=True)
class SessionInfo:
    id: str
    plan: str
    launch: str
    started: str
    last_event: str
    last_type: str
    closed: bool
    holder: str | None
    path: str
    problem: str = ""  # why this file cannot be used; empty when it can

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def _first_and_last(path: Path) -> tuple[Event, Event | None]:
    """The session.started event and the last readable event. SessionError or
    EventSchemaError when the file cannot be used."""
    fd = open_regular(path, os.O_RDONLY)
    with os.fdopen(fd, "rb") as fh:
        first = parse_line(fh.readline(FIRST_LINE_LIMIT))
        if first.type != "session.started":
            raise EventSchemaError(f"line 1 is {first.type}, not session.started")
        size = os.fstat(fh.fileno()).st_size
        fh.seek(max(0, size - TAIL))
        last = None
        for raw in reversed(fh.read().splitlines()):
            try:
                last = parse_line(raw)
            except EventSchemaError:
                continue  # a torn tail or a damaged line: the loader reports it
            break
    return first, last


def session_info(path: Path) -> SessionInfo:
    try:
        first, last = _first_and_last(path)
    except FileNotFoundError:
        raise
    except (SessionError, EventSchemaError, OSError) as exc:
        return _unusable(path, f"line 1: {exc}" if isinstance(exc, EventSchemaError) else exc)
    problem = ""
    try:
        holder = holder_of(path)
    except (SessionError, OSError) as exc:
        holder, problem = None, str(exc)
    last = last or first
    return SessionInfo(
        id=path.stem,
        plan=str(first.data["plan_path"] or first.data["plan_name"]),
        launch=str(first.data["launch"]),
        started=first.ts,
        last_event=last.ts,
        last_type=last.type,
        closed=last.type == "session.closed",
        holder=holder,
        path=str(path),
        problem=problem,
    )


def _unusable(path: Path, problem: object) -> SessionInfo:
    return SessionInfo(
        id=path.stem,
        plan="",
        launch="",
        started="",
        last_event="",
        last_type="",
        closed=False,
        holder=None,
        path=str(path),
        problem=str(problem),
    )


def list_sessions(directory: Path | None = None) -> list[SessionInfo]:
    out = []
    for path in session_files(directory):
        try:
            out.append(session_info(path))
        except FileNotFoundError:
            continue  # removed while we listed
    return out
