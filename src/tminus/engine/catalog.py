"""Listing recorded sessions without reading whole files.

A file that cannot be used (damaged first line, a newer schema, a lock that is not a
regular file of ours) is listed with its problem; it never hides the others.
"""

from __future__ import annotations

import contextlib
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tminus.core.durations import parse_duration
from tminus.core.records import record
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


@record(frozen=True)
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
    outcome: str = ""  # from session.closed: launched, rolled-back, aborted (or a reason)
    mode: str = ""  # demo, run, check, test

    @property
    def open(self) -> bool:
        """Not ended: resumable, or being written now."""
        return not self.closed and not self.problem

    @property
    def state(self) -> str:
        if self.problem:
            return "unusable"
        if self.closed:
            return self.outcome or "closed"
        return "open" if self.holder else "unfinished"

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "state": self.state}


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
        outcome=str(last.data.get("outcome") or last.data.get("reason") or "")
        if last.type == "session.closed"
        else "",
        mode=str(first.data.get("mode", "")),
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


def parse_since(text: str, now: datetime) -> datetime:
    """`--since`: an ISO date or date-time, or an age like `2h`, `7d`."""
    try:
        return now - parse_duration(text)
    except ValueError:
        pass
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r}: expected an age like 7d or a date like 2026-12-01") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _ts(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def select(
    infos: list[SessionInfo],
    *,
    plan: str | None = None,
    open_only: bool = False,
    since: datetime | None = None,
) -> list[SessionInfo]:
    """Filter: plan (a path or a launch name, substring), still open, started since."""
    out = []
    for info in infos:
        if plan and plan not in info.plan and plan.lower() not in info.launch.lower():
            continue
        if open_only and not info.open:
            continue
        started = _ts(info.started)
        if since is not None and (started is None or started < since):
            continue
        out.append(info)
    return out


def newest_open(infos: list[SessionInfo]) -> SessionInfo | None:
    """What `tminus attach` follows by default: the newest session not ended."""
    candidates = [i for i in infos if i.open]
    return max(candidates, key=lambda i: i.last_event or i.started, default=None)


def find_session(name: str, directory: Path | None = None) -> Path:
    """A session by id, unique id prefix, or path to its file."""
    as_path = Path(name)
    if as_path.suffix == ".jsonl" and as_path.exists():
        return as_path
    files = list(session_files(directory))
    exact = [p for p in files if p.stem == name]
    if exact:
        return exact[0]
    matches = [p for p in files if p.stem.startswith(name) or name in p.stem]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise LookupError(f"no session {name!r} (see `tminus sessions`)")
    raise LookupError(f"{name!r} matches {len(matches)} sessions; give more of the id")


DISPOSABLE_MODES = frozenset({"demo", "test", "check"})


@record(frozen=True)
class Pruned:
    removed: list[SessionInfo]
    kept_open: list[SessionInfo]  # old enough, but held by a writer or resumable: kept


def prune(
    older_than: timedelta,
    *,
    now: datetime,
    dry_run: bool = False,
    directory: Path | None = None,
) -> Pruned:
    """Remove sessions whose last event is older than `older_than`: closed ones, and
    unfinished demo/test sessions (nothing resumes those). Never one a writer holds (the
    lock is checked again right before removal), never an unfinished `run` session (it
    is the launch's resumable record)."""
    removed, kept = [], []
    for info in list_sessions(directory):
        last = _ts(info.last_event) or _ts(info.started)
        if last is None or now - last < older_than:
            continue
        if info.holder or (info.open and info.mode not in DISPOSABLE_MODES):
            kept.append(info)
            continue
        path = Path(info.path)
        if holder_of(path):  # someone opened it since we listed
            kept.append(info)
            continue
        if not dry_run:
            from tminus.engine.snapshot import snapshot_path, stale_leftovers  # prune only

            snapshot = snapshot_path(path)  # disposable: the log's fold
            for part in (path, path.with_suffix(".lock"), snapshot, *stale_leftovers(path)):
                with contextlib.suppress(FileNotFoundError):
                    part.unlink()
        removed.append(info)
    return Pruned(removed, kept)
