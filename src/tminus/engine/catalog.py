"""Listing recorded sessions without reading whole files."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tminus.engine.session import holder_of, session_files


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

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def _first_and_last(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    first: dict[str, Any] = {}
    last: dict[str, Any] = {}
    with open(path, "rb") as fh:
        line = fh.readline()
        try:
            first = json.loads(line)
        except ValueError:
            first = {}
        size = os.fstat(fh.fileno()).st_size
        fh.seek(max(0, size - 65536))
        for raw in reversed(fh.read().splitlines()):
            try:
                obj = json.loads(raw)
            except ValueError:
                continue  # torn tail
            if isinstance(obj, dict):
                last = obj
                break
    return (first if isinstance(first, dict) else {}), last


def list_sessions(directory: Path | None = None) -> list[SessionInfo]:
    out = []
    for path in session_files(directory):
        try:
            first, last = _first_and_last(path)
        except OSError:
            continue
        out.append(
            SessionInfo(
                id=path.stem,
                plan=str(first.get("plan_path") or first.get("plan_name") or ""),
                launch=str(first.get("launch", "")),
                started=str(first.get("ts", "")),
                last_event=str(last.get("ts", "")),
                last_type=str(last.get("type", "")),
                closed=last.get("type") == "session.closed",
                holder=holder_of(path),
                path=str(path),
            )
        )
    return out
