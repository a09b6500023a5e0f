"""Snapshots of the console at 80x24 and 120x40, frozen clock, demo world.

Update with `pytest --snapshot-update` and look at the SVGs before committing them.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from console_factory import make_app, small_plan, until


@pytest.fixture
def session_dir(tmp_path: Path) -> Path:
    return tmp_path / "sessions"


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_console_at_start(snap_compare, session_dir, size):
    app, engine = make_app(session_dir, session_name="snapshot")

    async def metrics_polled(pilot) -> None:
        await gate_metrics_polled(engine, pilot)  # the header's gate state is then settled

    assert snap_compare(app, terminal_size=size, run_before=metrics_polled)


async def gate_metrics_polled(engine, pilot, timeout: float = 60.0) -> None:
    """Until the session has started, every metric has a verdict and the header shows the
    gate as the rollout judges it; a loaded machine only makes this slower, and a wait
    that times out fails here instead of snapshotting a half-polled console."""
    from tminus.ui.widgets.rollout_status import RolloutStatus

    deadline = time.monotonic() + timeout
    while True:
        await pilot.pause(0.02)
        states = engine.metric_states()
        polled = engine.state.rollout.started and states and "waiting" not in states.values()
        if polled:
            shown = pilot.app.screen.query_one(RolloutStatus)
            if shown.has_class("open") == engine.rollout.gate().open:
                return
        assert time.monotonic() < deadline, f"metrics not all polled: {states}"


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_console_after_running_a_phase(snap_compare, session_dir, size):
    app, _ = make_app(session_dir, small_plan(), session_name="snapshot")

    async def run_phase(pilot) -> None:
        await pilot.pause()
        await pilot.press("a")
        await app.workers.wait_for_complete()
        for task in list(app.engine._run_tasks):
            await task
        await pilot.pause()
        # the section row stays selected: an item's detail shows wall-clock times
        app.clear_notifications()
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_phase)


def test_sign_off_refused_dialog(snap_compare, session_dir):
    app, _ = make_app(session_dir, small_plan(), session_name="snapshot")
    assert snap_compare(app, terminal_size=(80, 24), press=["g"])


def test_read_only_help(snap_compare, session_dir):
    app, _ = make_app(session_dir, small_plan(), read_only=True)
    assert snap_compare(app, terminal_size=(80, 24), press=["question_mark"])


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_rollout_tab_mid_bake(snap_compare, session_dir, size):
    app, engine = make_app(session_dir, session_name="snapshot")

    async def at_five_percent(pilot) -> None:
        await gate_metrics_polled(engine, pilot)  # the session's start and the gate's metrics
        assert engine.rollout is not None
        await engine.rollout.apply(5)
        engine.clock.advance(130)  # type: ignore[attr-defined]
        await pilot.press("5", "right")  # the Rollout tab, target 25 %
        await pilot.pause(1.2)
        await app.workers.wait_for_complete()
        app.clear_notifications()
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=at_five_percent)


@pytest.mark.parametrize("size", [(80, 24), (60, 20), (120, 40), (200, 50)])
def test_launch_day_with_metric_errors(snap_compare, session_dir, size):
    from test_small_terminals import errors_plan, wait_for_errors

    app, engine = make_app(session_dir, errors_plan(), session_name="snapshot")

    async def errors(pilot) -> None:
        await pilot.pause()
        await pilot.press("2")
        await wait_for_errors(engine)
        await pilot.pause()
        app.clear_notifications()
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=errors)


def test_ascii_mode(snap_compare, session_dir):
    app, _ = make_app(session_dir, small_plan(), session_name="snapshot")
    app.ascii_only = True

    async def run_phase(pilot) -> None:
        await pilot.pause()
        await pilot.press("a")
        await app.workers.wait_for_complete()
        for task in list(app.engine._run_tasks):
            await task
        await pilot.pause()
        app.clear_notifications()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_phase)


@pytest.mark.parametrize("size", [(80, 24), (60, 20), (120, 40)], ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("tab", [1, 3, 4, 5, 6, 7])
def test_every_tab_with_metric_errors(snap_compare, session_dir, size, tab):
    """Every tab (Launch Day, tab 2, above at four sizes) at the three sizes the issue names,
    with every metric polling to an error: what a bastion's small terminal shows."""
    from textual.widgets import TabbedContent

    from test_small_terminals import errors_plan, wait_for_errors

    app, engine = make_app(session_dir, errors_plan(), session_name="snapshot")

    async def on_tab(pilot) -> None:
        await pilot.pause()
        await wait_for_errors(engine)
        panes = [p.id for p in app.screen.query("TabPane")]
        tabs = app.screen.query_one(TabbedContent)
        await pilot.press(str(tab))
        await until(pilot, lambda: tabs.active == panes[tab - 1], f"tab {tab}")
        await pilot.pause()
        app.clear_notifications()
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=on_tab)
