"""Which session `tminus serve` shows, and the plan it was recorded against."""

from __future__ import annotations

from pathlib import Path

from tminus.core.errors import UsageError
from tminus.engine.session import SessionError, load_events
from tminus.plan.model import Plan


def resolve_session(name: str | None) -> Path:
    """A session file by path or id; without one, the newest session not closed."""
    from tminus.core.paths import sessions_dir
    from tminus.engine.catalog import list_sessions

    if name:
        given = Path(name)
        if given.suffix == ".jsonl" and given.exists():
            return given.resolve()
        by_id = sessions_dir() / f"{name}.jsonl"
        if by_id.exists():
            return by_id
        raise UsageError(f"no session {name!r} (see `tminus sessions`)")
    open_ = [s for s in list_sessions() if not s.closed]
    if not open_:
        raise UsageError("no open session to serve; name one (see `tminus sessions`)")
    held = [s for s in open_ if s.holder] or open_  # prefer one someone is writing now
    return Path(held[-1].path)


def plan_for(path: Path) -> Plan:
    """The plan a session was started with: its file, or the demo's embedded plan."""
    from tminus.plan.loader import load_plan

    try:
        events = load_events(path).events
    except SessionError as exc:
        raise UsageError(str(exc)) from None
    started = next((e for e in events if e.type == "session.started"), None)
    if started is None:
        raise UsageError(f"{path}: no session.started event; not a tminus session")
    info = started.data
    plan_path = str(info.get("plan_path", ""))
    if info.get("mode") == "demo" or plan_path == "<default plan>":
        from tminus.commands.console import demo_plan

        return demo_plan(
            str(info.get("scenario", "healthy")),
            float(info.get("speed", 1.0)),
            int(info.get("seed", 1)),
        )
    if not plan_path or not Path(plan_path).exists():
        raise UsageError(f"{path}: its plan {plan_path or '(unnamed)'} is not here to load")
    return load_plan(plan_path)
