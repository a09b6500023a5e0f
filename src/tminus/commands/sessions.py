"""`tminus sessions` (list, filter, prune) and `tminus close`: the recorded sessions."""

from __future__ import annotations

import argparse
import json
import re
import textwrap
from datetime import UTC, datetime
from pathlib import Path

from tminus.core.durations import parse_duration
from tminus.core.errors import UsageError
from tminus.core.redact import scrub
from tminus.engine.catalog import SessionInfo, find_session, list_sessions, parse_since, prune
from tminus.engine.session import SessionError, SessionLocked, current_actor

WIDTH = 80
_ID = re.compile(r"^(\d{8}T\d{6}Z)-.*-([0-9a-f]{4})$")


def short_id(session_id: str) -> str:
    """`20261201T111955Z-ab12`: the start stamp and the random tail; accepted as an id."""
    m = _ID.match(session_id)
    return f"{m.group(1)}-{m.group(2)}" if m else session_id


def resolve(name: str) -> Path:
    """A session by id, short id, unique prefix or file path; bad input exits 2."""
    m = re.match(r"^(\d{8}T\d{6}Z)-([0-9a-f]{4})$", name)
    try:
        if m:
            matches = [
                Path(i.path)
                for i in list_sessions()
                if i.id.startswith(m.group(1)) and i.id.endswith(m.group(2))
            ]
            if len(matches) == 1:
                return matches[0]
        return find_session(name)
    except LookupError as exc:
        raise UsageError(str(exc)) from None


def _when(ts: str) -> str:
    return f"{ts[5:10]} {ts[11:16]}" if len(ts) >= 16 else ts


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def table(infos: list[SessionInfo]) -> list[str]:
    """Rows that fit 80 columns: id, started, last event, state or outcome, launch."""
    head = ("ID", "STARTED", "LAST EVENT", "STATE", "LAUNCH / PLAN")
    rows = [
        (
            short_id(i.id),
            _when(i.started),
            _when(i.last_event),
            i.state,
            f"{i.launch or '?'} {i.mode}".strip()
            if i.plan in ("", "<default plan>")
            else f"{i.launch} {Path(i.plan).name}",
        )
        for i in infos
    ]
    widths = [max([len(head[c]), *(len(r[c]) for r in rows)]) for c in range(4)]
    widths[3] = min(widths[3], 12)
    rest = WIDTH - sum(widths) - 2 * 4
    lines = []
    for info, r in zip([None, *infos], [head, *rows], strict=True):
        if info is not None and info.problem:
            # an unusable file: say why in full, wrapped, never cut
            text = f"{r[0]}  unusable: {info.problem}"
            lines += textwrap.wrap(text, WIDTH, subsequent_indent=" " * (len(r[0]) + 2))
            continue
        cells = [_fit(v, w).ljust(w) for v, w in zip(r[:4], widths, strict=True)]
        lines.append("  ".join([*cells, _fit(r[4], max(rest, 8))]).rstrip())
    return lines


def cmd_sessions(args: argparse.Namespace) -> int:
    if getattr(args, "sessions_command", None) == "prune":
        return cmd_prune(args)
    now = datetime.now(UTC)
    since = None
    if args.since:
        try:
            since = parse_since(args.since, now)
        except ValueError as exc:
            raise UsageError(f"--since {exc}") from None
    from tminus.engine.catalog import select

    infos = select(list_sessions(), plan=args.plan, open_only=args.open, since=since)
    if args.json:
        print(json.dumps([scrub(i.to_dict()) for i in infos], indent=2))
        return 0
    if not infos:
        print("no sessions match" if (args.plan or args.open or args.since) else "no sessions yet")
        return 0
    for line in table(infos):
        print(scrub(line))
    return 0


def cmd_prune(args: argparse.Namespace) -> int:
    try:
        age = parse_duration(args.older_than)
    except ValueError as exc:
        raise UsageError(f"--older-than: {exc}") from None
    result = prune(age, now=datetime.now(UTC), dry_run=args.dry_run)
    verb = "would remove" if args.dry_run else "removed"
    for info in result.removed:
        print(f"{verb} {short_id(info.id)}  {info.state}  last event {_when(info.last_event)}")
    for info in result.kept_open:
        why = f"held by {info.holder}" if info.holder else "unfinished, resumable"
        print(f"kept {short_id(info.id)}: {why}")
    n = len(result.removed)
    print(f"{verb} {n} session{'s' if n != 1 else ''} older than {args.older_than}")
    return 0


def cmd_close(args: argparse.Namespace) -> int:
    from tminus.engine.closing import close_session_file

    path = resolve(args.session)
    try:
        event = close_session_file(
            path, args.outcome, args.note or "", current_actor(args.as_actor)
        )
    except SessionLocked as exc:
        raise UsageError(f"{exc}; end it from that console (or quit it first)") from None
    except (SessionError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    print(f"closed {path.stem}: {args.outcome} (by {event.actor} at {event.ts})")
    return 0
