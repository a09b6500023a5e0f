"""The console process `tminus serve` starts for each browser viewer (textual-serve runs
one per connection): read-only and following the session by default; the commander's
writable console with `--writable` (it resumes the session as its writer, or falls back to
following it when another console holds it).

Run as `python -m tminus.commands.serve_console SESSION_FILE [--writable]`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from tminus.backends.base import Backends
from tminus.core.clock import Clock
from tminus.engine.console import ConsoleEngine
from tminus.engine.session import SessionLocked, load_events, open_session
from tminus.engine.state import fold
from tminus.plan.model import Plan


def _backends(plan: Plan) -> tuple[Backends, Clock | None]:
    from tminus.backends.factory import build_backends

    if plan.backends.demo is not None:
        from tminus.backends.demo import make_world

        world = make_world(plan.backends.demo, plan.launch.t0)
        return build_backends(plan, world=world), world.clock
    return build_backends(plan), None


def prepare(
    path: Path, *, writable: bool
) -> tuple[ConsoleEngine, Callable[[], Awaitable[None]], str]:
    from tminus.commands.served_session import plan_for

    plan = plan_for(path)
    backends, clock = _backends(plan)
    notice = ""
    if writable:
        try:
            writer = open_session(path)
        except SessionLocked as exc:
            notice = f"{exc}. Opened read-only, following it live."
        else:
            state = fold(load_events(path).events)
            engine = ConsoleEngine(
                plan,
                backends,
                session=writer,
                state=state,
                clock=clock,
            )

            async def resume() -> None:
                await engine.start(mode="serve", plan_path=plan.source, resumed=True)

            return engine, resume, notice
    state = fold(load_events(path).events)
    engine = ConsoleEngine(
        plan,
        backends,
        session=None,
        state=state,
        clock=clock,
        read_only=True,
    )
    size = path.stat().st_size

    async def follow_live() -> None:
        from tminus.engine.follow import follow

        engine.start_polling()
        task = asyncio.get_running_loop().create_task(follow(path, size, engine.ingest))
        engine.background.add(task)

    return engine, follow_live, notice


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tminus-serve-console")
    parser.add_argument("session")
    parser.add_argument("--writable", action="store_true")
    args = parser.parse_args(argv)
    from tminus.core.errors import UsageError
    from tminus.plan.loader import PlanError

    try:
        engine, start, notice = prepare(Path(args.session), writable=args.writable)
    except (UsageError, PlanError) as exc:
        print(f"tminus: error: {exc}", file=sys.stderr)
        return 2
    from tminus.ui.app import TminusApp

    TminusApp(engine, on_start=start, notice=notice, remember_theme=False).run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
