"""`tminus attach` and `tminus replay`: the console on a recorded session, read-only."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

from tminus.core.clock import Clock, FrozenClock
from tminus.core.errors import UsageError
from tminus.engine.console import ConsoleEngine
from tminus.engine.recording import Recording, plan_of, read_recording, with_recorded_metrics
from tminus.engine.session import SessionError
from tminus.engine.state import SessionState, clone


def _recording(path: Path, *, final_only: bool = False) -> Recording:
    try:
        return read_recording(path, final_only=final_only)
    except (SessionError, OSError) as exc:
        raise UsageError(str(exc)) from None


def snapshot_later(
    rec: Recording, engine: ConsoleEngine, then: Callable[[], Awaitable[None]] | None = None
) -> Callable[[], Awaitable[None]]:
    """The console's start hook (run after its first frame): write the recording's
    snapshot when it was missing or stale, so a log from elsewhere is read in full once
    only, in a worker thread and under the recording's lock (the replay's folds and the
    growth reads take it too); then `then`. Written before the first frame, it held a
    big log's console back by seconds. A failure is a warning in the console log."""

    async def start() -> None:
        task = asyncio.get_running_loop().create_task(_write_snapshot(rec), name="snapshot")
        engine.background.add(task)
        task.add_done_callback(engine.background.discard)
        if then is not None:
            await then()

    return start


async def _write_snapshot(rec: Recording) -> None:
    from tminus.core.redact import scrub
    from tminus.engine.snapshot import refresh_snapshot

    def write() -> str | None:
        with rec.lock:
            return refresh_snapshot(rec)

    try:
        why = await asyncio.to_thread(write)
    except Exception as exc:  # only speed is lost: never the console
        why = f"{rec.path.name}: snapshot not written ({scrub(f'{type(exc).__name__}: {exc}')})"
    if why:
        logging.getLogger("tminus.snapshot").warning("%s", why)


def recorded_engine(
    rec: Recording, clock: Clock, state: SessionState | None = None
) -> ConsoleEngine:
    """A read-only engine on the session's plan; metrics only from the log."""
    from tminus.backends.factory import build_backends

    plan = plan_of(rec.final)
    backends = with_recorded_metrics(build_backends(plan, clock=clock))
    engine = ConsoleEngine(
        plan,
        backends,
        session=None,
        state=state if state is not None else rec.final,
        clock=clock,
        read_only=True,
    )
    if engine.poller is not None:
        for metric_id, series in list(engine.poller.series.items()):
            engine.poller.series[metric_id] = rec.series_at(metric_id, rec.count, series.capacity)
    return engine


def prepare_attach(name: str | None, *, why: str = ""):  # type: ignore[no-untyped-def]
    """The app that follows a session: by name, or the newest one not ended. `why` says
    why this console follows instead of writing (`tminus serve --writable` when another
    console holds the session)."""
    from tminus.commands.sessions import resolve
    from tminus.engine.attach import follow_writer, recorded_clock
    from tminus.engine.catalog import list_sessions, newest_open
    from tminus.ui.app import TminusApp

    if name:
        path = resolve(name)
    else:
        newest = newest_open(list_sessions())
        if newest is None:
            raise UsageError("no open session to attach to (see `tminus sessions`)")
        path = Path(newest.path)
    rec = _recording(path, final_only=True)  # no cursor: the snapshot, then the rest
    plan = plan_of(rec.final)
    # its own copy of the state: followed events fold into it on the event loop, while
    # the snapshot of the recording (rec.final, as read) is written in another thread
    engine = recorded_engine(rec, recorded_clock(rec, plan), clone(rec.final))
    app: TminusApp | None = None
    notice = f"Attached read-only to {path.stem}: following it live; nothing you do is written."
    if rec.final.closed:
        notice = f"{path.stem} has ended ({rec.final.outcome or 'closed'}); showing it read-only."
    if why:
        notice = f"{why}. {notice}"

    def status(text: str) -> None:
        if app is not None:
            app.notify(text, severity="warning", timeout=30)
            app.sub_title = text

    async def follow() -> None:
        task = asyncio.get_running_loop().create_task(
            follow_writer(path, rec.size, engine, rec, status)
        )
        engine.background.add(task)

    # in a browser (`tminus serve`) the viewer is not the user whose config this is
    app = TminusApp(
        engine,
        on_start=snapshot_later(rec, engine, follow),
        notice=notice,
        remember_theme=not in_browser(),
    )
    return app, engine


def in_browser() -> bool:
    """Run by textual-serve for a browser viewer (it starts each app with its web driver)."""
    return os.environ.get("TEXTUAL_DRIVER", "").endswith(":WebDriver")


def attach(name: str | None) -> int:
    app, _ = prepare_attach(name)
    app.run()
    return 0


def prepare_replay(name: str):  # type: ignore[no-untyped-def]
    from tminus.commands.sessions import resolve
    from tminus.engine.replay import ReplayController
    from tminus.ui.replay_app import ReplayApp

    path = resolve(name)
    rec = _recording(path, final_only=True)  # opens at the end: checkpoints come later
    plan = plan_of(rec.final)
    clock = FrozenClock(plan.launch.t0)
    # the replay's own state object (a copy): cursor moves overwrite it in place
    engine = recorded_engine(rec, clock, rec.state_at(rec.count))
    controller = ReplayController(rec, engine)
    controller.move_to(rec.count)
    return ReplayApp(engine, controller, on_start=snapshot_later(rec, engine)), controller


def replay(name: str) -> int:
    app, _ = prepare_replay(name)
    app.run()
    return 0
