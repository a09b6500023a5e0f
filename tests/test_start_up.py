"""Start-up to the first full frame and right after it: the cyclic garbage collector waits
while a console starts (`tminus demo` and `tminus run` pause it before their imports) and
runs again, the start-up's objects frozen out of its way, once the footer is drawn; a
command that fails before any frame leaves it on; the demo world's backfills, which start
right after the frame, leave the event loop its turns. The real app through Pilot, the
real command line in a subprocess, the real demo world; collections are counted with the
collector's own callbacks."""

from __future__ import annotations

import asyncio
import gc
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tminus.backends.demo import make_world
from tminus.backends.demo.metrics import POINTS_PER_TURN, DemoMetrics
from tminus.backends.factory import build_backends
from tminus.cli import EXIT_BAD_INPUT, main
from tminus.core import gc_policy
from tminus.engine.console import ConsoleEngine
from tminus.plan.loader import default_plan
from tminus.ui.widgets.key_footer import KeyFooter

from console_factory import make_app, until


@pytest.fixture
def collector() -> Iterator[None]:
    """This test process's collector as it was, whatever the test did to it."""
    was_enabled, frozen = gc.isenabled(), gc.get_freeze_count()
    yield
    if gc.get_freeze_count() > frozen:
        gc.unfreeze()  # back into the oldest generation: collectable again
    gc_policy.resume_after_start(freeze=False)
    if was_enabled:
        gc.enable()


async def test_the_collector_waits_for_the_first_full_frame(tmp_path, monkeypatch, collector):
    app, engine = make_app(tmp_path)
    seen: dict[str, object] = {}
    compose = KeyFooter.compose

    def recording_compose(self: KeyFooter):  # the footer is painted last
        out = list(compose(self))
        if out:
            seen.setdefault("enabled while the footer composed", gc.isenabled())
        yield from out

    monkeypatch.setattr(KeyFooter, "compose", recording_compose)
    start = app.on_start
    assert start is not None

    async def recording_start() -> None:  # the engine starts after the first full frame
        seen["enabled at engine start"] = gc.isenabled()
        # a frozen object is in no generation: gc.get_objects() leaves it out
        start_up = {
            "app": app,
            "screen": app.screen,
            "footer": app.screen.query_one(KeyFooter),
            "plan": engine.plan,
            "engine": engine,
        }
        assert all(gc.is_tracked(o) for o in start_up.values())  # else the check is void
        live = {id(o) for o in gc.get_objects()}
        seen["not frozen at engine start"] = [k for k, o in start_up.items() if id(o) in live]
        await start()

    app.on_start = recording_start
    gc_policy.pause_for_start()  # as `tminus demo` does before its imports
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: "enabled at engine start" in seen, "the engine's start")
        assert seen["enabled while the footer composed"] is False
        assert seen["enabled at engine start"] is True
        # the start-up's objects (the app, its widgets, the plan) were frozen
        assert seen["not frozen at engine start"] == []
        assert gc.isenabled()


def test_a_console_command_that_fails_before_any_frame_leaves_the_collector_on(
    tmp_path: Path, collector
):
    frozen = gc.get_freeze_count()
    assert main(["run", str(tmp_path / "missing.toml")]) == EXIT_BAD_INPUT
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen  # nothing frozen: no console ever started


COUNT_COLLECTIONS = """
import gc, sys
collections = []
def counted(phase, info):
    # from the moment the console's modules start loading (the arguments are parsed)
    if phase == "start" and "tminus.commands.console" in sys.modules:
        collections.append(info)
gc.callbacks.append(counted)
{run}
print(gc.isenabled(), len(collections))
"""


@pytest.mark.parametrize(
    "run, collected",
    [
        # the console's start-up: its modules and the demo world's load, then --speed 0 is
        # refused: no collection on the way
        ("from tminus.cli import main\nassert main(['demo', '--speed', '0']) == 2", False),
        # the same modules loaded without the command line: they do collect
        ("import tminus.commands.console, tminus.backends.demo, tminus.backends.factory", True),
    ],
)
def test_a_console_start_up_runs_no_collection(run, collected):
    out = subprocess.run(
        [sys.executable, "-c", COUNT_COLLECTIONS.format(run=run)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    enabled, count = out.stdout.split()
    assert enabled == "True"  # on again once the command returned
    assert (int(count) > 0) is collected, out.stdout


async def test_the_demo_worlds_backfills_leave_the_event_loop_its_turns(monkeypatch):
    """After the first frame the engine backfills every metric of the demo at once; each
    range is computed on the loop, so it must hand the loop back every few points (keys and
    redraws wait for nothing longer). Points are counted between two turns of a task that
    only yields, as a key press would be handled."""
    plan = default_plan()
    assert plan.backends.demo is not None
    world = make_world(plan.backends.demo, plan.launch.t0)
    engine = ConsoleEngine(plan, build_backends(plan, world=world), session=None)
    assert engine.poller is not None
    evaluated = 0
    instant = DemoMetrics.instant

    def counted(self: DemoMetrics, *args: Any) -> Any:
        nonlocal evaluated
        evaluated += 1
        return instant(self, *args)

    monkeypatch.setattr(DemoMetrics, "instant", counted)
    backfills = [asyncio.create_task(engine.poller.backfill(p)) for p in engine.poller.polls]
    per_turn = []
    while not all(task.done() for task in backfills):
        before = evaluated
        await asyncio.sleep(0)
        per_turn.append(evaluated - before)
    await asyncio.gather(*backfills)
    assert len(backfills) > 10 and evaluated > 1000  # every metric's history, for real
    # one range at a time, a slice of it per turn (at a range's end the next may start)
    assert max(per_turn) <= 2 * POINTS_PER_TURN


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (60, 20)])
async def test_the_first_frame_is_built_in_its_final_shape(tmp_path, monkeypatch, size):
    """What the first layout sizes must not be built or styled again after it: each pass
    is a full layout and paint of the screen before the frame. The checklist is filled
    once, at the width its view gives it (not again on its first resize); the list has focus
    (which restyles it and its scrollbars) by then; the views are narrow or wide from the
    start. Counted up to the footer's first keys, the last region painted."""
    from tminus.ui.widgets.checklist import Checklist
    from tminus.ui.widgets.phase_view import PhaseView

    seen: dict[str, Any] = {"rebuilds": 0}
    first_list = f"checklist-{default_plan().phases[0].id}"  # the hidden tabs' mount later
    rebuild, resize, mount = Checklist.rebuild, Checklist.on_resize, PhaseView.on_mount

    def counted_rebuild(self: Checklist) -> None:
        if "frame" not in seen and self.id == first_list:
            seen["rebuilds"] += 1
        rebuild(self)

    def first_resize(self: Checklist) -> None:
        seen.setdefault("focused at the first layout", self.has_focus)
        resize(self)

    def mounted(self: PhaseView) -> None:
        seen.setdefault("narrow when mounted", self.has_class("narrow"))
        mount(self)

    from textual.screen import Screen

    from tminus.ui.screens.main import MainScreen

    paint = Screen._compositor_refresh
    compose = KeyFooter.compose

    def counted_paint(self: Screen) -> None:
        if isinstance(self, MainScreen):  # the blank screen before it is no pass of it
            seen["paints"] = seen.get("paints", 0) + 1
        paint(self)

    def first_keys(self: KeyFooter) -> Any:
        out = list(compose(self))
        if out:
            seen.setdefault("paints before the footer's keys", seen.get("paints", 0))
        yield from out

    monkeypatch.setattr(Screen, "_compositor_refresh", counted_paint)
    monkeypatch.setattr(KeyFooter, "compose", first_keys)
    monkeypatch.setattr(Checklist, "rebuild", counted_rebuild)
    monkeypatch.setattr(Checklist, "on_resize", first_resize)
    monkeypatch.setattr(PhaseView, "on_mount", mounted)
    app, _engine = make_app(tmp_path)
    app.on_start = None  # the frame only: the engine's events would rebuild rows later
    async with app.run_test(size=size) as pilot:
        await until(pilot, lambda: any(f.children for f in app.screen.query(KeyFooter)), "keys")
        seen["frame"] = True
        await pilot.pause()
        assert seen["rebuilds"] == 1
        # the footer's keys are in the first paint of the screen, not in a second
        assert seen["paints before the footer's keys"] == 0
        assert seen["focused at the first layout"] is True
        assert seen["narrow when mounted"] is (size[0] < 110)
        assert isinstance(app.focused, Checklist)  # where the commander's keys go, as before


async def test_the_footer_says_ready_only_after_a_paint_that_is_written(tmp_path, monkeypatch):
    """Textual writes nothing while the app is in its start-up batch (its Mount, which
    awaits our main screen's): a paint there is for nothing. The footer said Ready after
    such a paint, so the hidden tabs' mounts and the engine's start ran before the frame
    was written (0.1 s in a real terminal). Observed, not replaced: Textual's paint and
    the screen's handler record when they ran, then do their work."""
    from textual.screen import Screen

    from tminus.ui.screens.main import MainScreen

    seen: list[str] = []
    paint, handler = Screen._compositor_refresh, MainScreen.on_key_footer_ready

    def observed_paint(self: Screen) -> None:
        if isinstance(self, MainScreen):
            seen.append("written" if not self.app._batch_count else "in the batch")
        paint(self)

    async def observed(self: MainScreen, message: KeyFooter.Ready) -> None:
        seen.append("ready")
        await handler(self, message)

    monkeypatch.setattr(Screen, "_compositor_refresh", observed_paint)
    monkeypatch.setattr(MainScreen, "on_key_footer_ready", observed)
    app, _engine = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: "ready" in seen, "the footer's Ready")
    assert "written" in seen[: seen.index("ready")], seen
