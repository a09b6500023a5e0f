"""`tminus demo` and `tminus run`: open the console on a plan and its session."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from tminus.core.records import record
from tminus.engine.console import ConsoleEngine
from tminus.engine.session import (
    SessionError,
    SessionLocked,
    create_session,
    current_actor,
)
from tminus.engine.snapshot import fold_log, keep_snapshots, resume_session
from tminus.plan.model import DemoConfig, Plan


def demo_plan(scenario: str, speed: float, seed: int, watch: timedelta | None = None) -> Plan:
    """The default plan on the demo world; with `watch`, every phase watches its
    automated checks on that interval (`every`), as a plan may say."""
    from tminus.plan.loader import default_plan

    plan = default_plan()
    demo = DemoConfig(scenario=scenario, seed=seed, speed=speed)  # type: ignore[arg-type]
    plan = dataclasses.replace(plan, backends=dataclasses.replace(plan.backends, demo=demo))
    if watch is not None:
        phases = tuple(dataclasses.replace(p, every=watch) for p in plan.phases)
        plan = dataclasses.replace(plan, phases=phases)
    return plan


def unfinished_session(plan_path: str) -> tuple[Path | None, str]:
    """The newest usable session of this plan that was never closed, and a word on the
    sessions of this plan that cannot be used."""
    from tminus.engine.catalog import list_sessions

    mine = [s for s in list_sessions() if s.plan == plan_path and not s.closed]
    usable = [s for s in mine if not s.problem]
    unusable = "; ".join(f"session {s.id} cannot be used: {s.problem}" for s in mine if s.problem)
    return (Path(usable[-1].path) if usable else None), unusable


def open_console(
    engine: ConsoleEngine, start: Callable[[], Awaitable[None]] | None, notice: str = ""
) -> int:
    from tminus.ui.app import TminusApp

    app = TminusApp(engine, on_start=start, notice=notice)
    app.run()
    if engine.session is not None:
        print(f"session {engine.session.session_id} kept in {engine.session.path}")
    return 0


def run_demo(
    scenario: str,
    speed: float,
    seed: int,
    watch: timedelta | None = None,
    actor: str | None = None,
) -> int:
    from tminus.backends.demo import make_world
    from tminus.backends.factory import build_backends

    if speed <= 0:
        from tminus.core.errors import UsageError

        raise UsageError("--speed must be more than 0")
    plan = demo_plan(scenario, speed, seed, watch)
    assert plan.backends.demo is not None
    world = make_world(plan.backends.demo, plan.launch.t0)
    backends = build_backends(plan, world=world)
    session = create_session(f"{plan.launch.name}-demo")
    keep_snapshots(session)
    engine = ConsoleEngine(
        plan, backends, session=session, clock=world.clock, actor=current_actor(actor)
    )

    async def start() -> None:
        await engine.start(
            mode="demo",
            plan_path="<default plan>",
            resumed=False,
            scenario=scenario,
            speed=speed,
            seed=seed,
        )

    return open_console(engine, start)


def damage_notice(warnings: list[str], shown: int = 3) -> str:
    """The session file's damaged lines, a screenful at most."""
    more = len(warnings) - shown
    return "; ".join(warnings[:shown]) + (f"; and {more} more" if more > 0 else "")


@record
class Prepared:
    """What `tminus run` opens: the engine, what to do once the app runs, what to tell."""

    engine: ConsoleEngine
    start: Callable[[], Awaitable[None]] | None
    notice: str = ""


def prepare_take_over(plan: Plan, plan_path: str, actor: str | None = None) -> Prepared:
    """`tminus run --take-over`: continue writing the plan's unfinished session once its
    writer is gone, recorded as session.taken_over naming that writer."""
    from tminus.backends.factory import build_backends
    from tminus.core.errors import UsageError

    path, _ = unfinished_session(plan_path)
    if path is None:
        raise UsageError("no unfinished session of this plan to take over")
    try:
        writer, state = resume_session(path)
    except SessionLocked as exc:
        raise UsageError(
            f"{exc}; --take-over works once that console has quit"
            " (a read-only console on the session says when)"
        ) from None
    except SessionError as exc:
        raise UsageError(f"cannot take over: {exc}") from None
    previous = state.last_actor  # who wrote the session last
    engine = ConsoleEngine(plan, build_backends(plan), session=writer, state=state, actor=actor)

    async def take_over() -> None:
        await engine.start(mode="run", plan_path=plan_path, resumed=True, taken_over_from=previous)

    notice = f"Took over session {writer.session_id}" + (f" from {previous}" if previous else "")
    return Prepared(engine, take_over, notice + ".")


def prepare_run(
    plan: Plan,
    plan_path: str,
    *,
    read_only: bool,
    new: bool,
    actor: str | None = None,
    take_over: bool = False,
) -> Prepared:
    """Resume the plan's unfinished session (or follow it read-only), or start a new one."""
    from tminus.backends.factory import build_backends

    if take_over:
        return prepare_take_over(plan, plan_path, actor)
    path, notice = (None, "") if new else unfinished_session(plan_path)
    backends = build_backends(plan)
    who = current_actor(actor)
    if path is not None and not read_only:
        try:
            # the snapshot of the fold beside the log, then the log after it, read once:
            # the writer hands each event to the fold as it checks it
            writer, resumed_state = resume_session(path)
        except SessionLocked as exc:
            # said once: the lock's own message already ends "open it read-only"
            read_only = True
            notice = (
                f"Session {path.stem} is open for writing by {exc.holder}:"
                " opened read-only, following it live."
            )
        except SessionError as exc:  # damaged past use, or written by a newer tminus
            path, notice = None, f"{exc}. Started a new session instead."
        else:
            engine = ConsoleEngine(plan, backends, session=writer, state=resumed_state, actor=who)
            notice = "; ".join(filter(None, [notice, damage_notice(writer.recovered)]))

            async def resume() -> None:
                await engine.start(mode="run", plan_path=plan_path, resumed=True)

            return Prepared(engine, resume, notice)
    if read_only:
        state, offset = None, 0
        if path is not None:
            try:
                state, scanned = fold_log(path)
            except SessionError as exc:
                return Prepared(
                    ConsoleEngine(plan, backends, session=None, read_only=True), None, str(exc)
                )
            offset = scanned.good_bytes
            notice = "; ".join(filter(None, [notice, damage_notice(scanned.warnings)]))
        engine = ConsoleEngine(plan, backends, session=None, state=state, read_only=True)
        if path is None:

            async def watch_only() -> None:
                engine.start_polling()

            return Prepared(engine, watch_only, "No session of this plan yet: nothing to follow.")
        followed = path

        async def follow_live() -> None:
            from tminus.engine.follow import follow

            engine.start_polling()
            task = asyncio.get_running_loop().create_task(
                follow(followed, offset, engine.ingest, writer_gone=engine.mark_writer_gone)
            )
            engine.background.add(task)

        return Prepared(engine, follow_live, notice)
    writer = create_session(plan.launch.name)
    keep_snapshots(writer)
    engine = ConsoleEngine(plan, backends, session=writer, actor=who)

    async def begin() -> None:
        await engine.start(mode="run", plan_path=plan_path, resumed=False)

    return Prepared(engine, begin, notice)


def run_plan(
    plan: Plan,
    plan_path: str,
    *,
    read_only: bool,
    new: bool,
    actor: str | None = None,
    take_over: bool = False,
) -> int:
    prepared = prepare_run(
        plan, plan_path, read_only=read_only, new=new, actor=actor, take_over=take_over
    )
    return open_console(prepared.engine, prepared.start, prepared.notice)
