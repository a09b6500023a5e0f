"""The commander's console `tminus serve --writable` starts for a browser viewer
(textual-serve runs one per connection): it resumes the session as its writer. When
another console holds the session it follows it instead, through `tminus attach`'s own
code, so there is one follower. The read-only console of `tminus serve` is `tminus
attach SESSION` itself (see `console_command`).

Run as `python -m tminus.commands.serve_console SESSION_FILE --writable`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from tminus.backends.base import Backends
from tminus.core.clock import Clock
from tminus.engine.console import ConsoleEngine
from tminus.engine.session import SessionLocked
from tminus.engine.snapshot import resume_session
from tminus.plan.model import Plan

if TYPE_CHECKING:
    from tminus.ui.app import TminusApp


def _backends(plan: Plan) -> tuple[Backends, Clock | None]:
    from tminus.backends.factory import build_backends

    if plan.backends.demo is not None:
        from tminus.backends.demo import make_world

        world = make_world(plan.backends.demo, plan.launch.t0)
        return build_backends(plan, world=world), world.clock
    return build_backends(plan), None


def prepare_writer(path: Path) -> tuple[ConsoleEngine, Callable[[], Awaitable[None]]]:
    """The writing engine on the session; SessionLocked when another console holds it."""
    from tminus.commands.served_session import plan_for

    plan = plan_for(path)
    # one read: the snapshot of the fold beside the log, then the lines after it
    writer, state = resume_session(path)
    backends, clock = _backends(plan)
    engine = ConsoleEngine(plan, backends, session=writer, state=state, clock=clock)

    async def resume() -> None:
        await engine.start(mode="serve", plan_path=plan.source, resumed=True)

    return engine, resume


def console_app(path: Path) -> TminusApp:
    """The commander's console, or `tminus attach`'s when another console holds the log."""
    from tminus.ui.app import TminusApp

    try:
        engine, start = prepare_writer(path)
    except SessionLocked as exc:
        from tminus.commands.recorded import prepare_attach

        follower: TminusApp
        follower, _ = prepare_attach(str(path), why=f"{exc}. Opened read-only")
        return follower
    return TminusApp(engine, on_start=start, remember_theme=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tminus-serve-console")
    parser.add_argument("session")
    parser.add_argument("--writable", action="store_true", required=True)
    args = parser.parse_args(argv)
    from tminus.core.errors import UsageError
    from tminus.plan.loader import PlanError

    try:
        app = console_app(Path(args.session))
    except (UsageError, PlanError) as exc:
        print(f"tminus: error: {exc}", file=sys.stderr)
        return 2
    app.run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
