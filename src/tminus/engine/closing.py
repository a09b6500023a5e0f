"""Ending a launch session headless: `tminus close SESSION --outcome X`."""

from __future__ import annotations

from pathlib import Path

from tminus.engine.events import OUTCOMES
from tminus.engine.session import Event, SessionError
from tminus.engine.snapshot import resume_session


class AlreadyClosed(SessionError):
    pass


def close_session_file(path: Path, outcome: str, note: str, actor: str) -> Event:
    """Append `session.closed` with an outcome. Takes the writer's lock, so a session
    another process holds is refused (SessionLocked); a closed one is refused too."""
    if outcome not in OUTCOMES:
        raise ValueError(f"--outcome must be one of {', '.join(OUTCOMES)}")
    writer, state = resume_session(path)
    try:
        if state.closed:
            raise AlreadyClosed(
                f"session {path.stem} is already closed ({state.outcome or 'no outcome'})"
            )
        return writer.append(
            "session.closed", actor=actor, outcome=outcome, note=note, reason="ended"
        )
    finally:
        writer.close(mark_closed=False)
