"""The console at 80x24, 60x20 and 120x40 with metric errors present: nothing important
off screen, tabs and keys whole, x first while a trigger fires, help from the table."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest
from textual.widgets import TabbedContent

from screen_lines import screen_lines
from tminus.plan.loader import default_plan
from tminus.plan.model import Plan
from tminus.ui.tab_labels import fit_labels
from tminus.ui.widgets.checklist import column_widths
from tminus.ui.widgets.key_footer import IMPORTANCE

from console_factory import make_app, until

SIZES = [(80, 24), (60, 20), (120, 40)]


def errors_plan() -> Plan:
    """The default plan with every metric query one the demo world cannot parse: each
    metric polls to an error."""
    plan = default_plan()
    broken = tuple(dataclasses.replace(m, query=f"sum(rate({m.id}_broken[") for m in plan.metrics)
    return dataclasses.replace(plan, metrics=broken)


async def wait_for_errors(engine, timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not all(engine.poller.series[m.id].state == "error" for m in engine.plan.metrics):
        assert asyncio.get_running_loop().time() < deadline, "metric polls never failed"
        await asyncio.sleep(0.1)


def footer(lines: list[str]) -> str:
    return lines[-1]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_launch_day_with_metric_errors_keeps_the_checklist(tmp_path: Path, size):
    app, engine = make_app(tmp_path, errors_plan())
    width, height = size
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await pilot.press("2")
        await wait_for_errors(engine)
        await pilot.pause(0.5)
        lines = screen_lines(app)
    text = "\n".join(lines)
    # every tab, by number, on the tab row
    for n in range(1, 7):
        assert f" {n} " in f" {lines[1]} " or f" {n}" in lines[1], lines[1]
    assert "6" in lines[1]
    # the metrics strip is one line on a short terminal, a few otherwise; the list stays
    strip = [line for line in lines if "query error" in line]
    if height < 32:
        assert sum(1 for line in lines if "ok ·" in line or "/8 ok" in line) == 1
    assert len(strip) <= 8
    assert "Final infrastructure health check"[: width // 3] in text
    assert "Enable maintenance mode"[: width // 3] in text
    # the footer: whole keys, help always, no stray palette divider
    keys = footer(lines)
    assert "? Help" in keys
    assert "▏" not in keys
    assert len(keys) <= width


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_x_leads_the_footer_while_a_trigger_fires(tmp_path: Path, size):
    app, engine = make_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        assert not footer(screen_lines(app)).startswith("x ")
        await engine.declare_trigger("data-corruption", "checksums differ on replica 2")
        await pilot.pause(0.3)
        keys = footer(screen_lines(app))
    assert keys.startswith("x ROLLBACK"), keys
    assert "? Help" in keys


async def test_metrics_strip_toggles(tmp_path: Path):
    app, _engine = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("2")
        await pilot.pause()
        strip = app.screen.query_one("#strip-launch-day")
        assert strip.display
        before = screen_lines(app)
        await pilot.press("s")
        await pilot.pause()
        assert not strip.display
        after = screen_lines(app)
        await pilot.press("s")
        await pilot.pause()
        assert strip.display
    # hiding the strip gives its line to the checklist
    assert sum(1 for line in after if line.strip()) >= sum(1 for line in before if line.strip())


def test_tab_labels_fit_by_shortening_the_longest_first():
    labels = [
        "1 T-7d Pre-Launch Validation",
        "2 T-0 Launch Day",
        "3 T+1d Post-Launch Validation",
        "4 Metrics",
        "5 Rollback",
        "6 Contacts & Comms",
    ]
    assert fit_labels(labels, 200) == labels
    for width in (120, 80, 60, 40):
        fitted = fit_labels(labels, width)
        assert sum(len(t) + 2 for t in fitted) <= width, (width, fitted)
        assert [t.split()[0] for t in fitted] == [str(n) for n in range(1, 7)]
    assert fit_labels(labels, 80)[3] == "4 Metrics"  # the short ones stay whole


def test_columns_give_way_by_priority():
    wide = column_widths(120, 48)
    assert wide["item"] >= 48 and wide["value"] == 12
    narrow = column_widths(80, 48)
    assert narrow["item"] >= 40 and narrow["value"] >= 8
    assert narrow["owner"] < 14  # owner gives way before the title


async def test_help_screen_names_this_consoles_tabs(tmp_path: Path):
    app, _engine = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        tabs = len(app.screen.query("TabPane"))
        await pilot.press("question_mark")
        await pilot.pause()
        text = str(app.screen.query_one("#help-text").content)
    assert tabs >= 6
    assert f"[b]1-{tabs}" in text and "1-9" not in text  # wrapping: tests/test_help_screens.py


async def test_follower_detail_does_not_offer_r(tmp_path: Path):
    app, _engine = make_app(tmp_path, read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        detail = str(app.screen.query_one("#detail-pre-launch #detail-body").content)
    assert "r runs every check" not in detail
    assert "Read-only" in detail


def test_importance_puts_rollback_first():
    assert IMPORTANCE[0] == "rollback" and IMPORTANCE[1] == "help"


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_every_tab_fits_with_metric_errors(tmp_path: Path, size):
    app, engine = make_app(tmp_path, errors_plan())
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await wait_for_errors(engine)
        panes = [p.id for p in app.screen.query("TabPane")]
        tabs = app.screen.query_one(TabbedContent)
        for n in range(1, len(panes) + 1):
            await pilot.press(str(n))
            await until(pilot, lambda n=n: tabs.active == panes[n - 1], f"tab {n}")
            await pilot.pause()
            lines = screen_lines(app)
            numbers = [word for word in lines[1].split() if word.isdigit()]
            assert numbers == [str(i) for i in range(1, len(panes) + 1)], (n, lines[1])
            keys = footer(lines)
            assert "? Help" in keys and "▏" not in keys, (n, keys)
            assert len(keys) <= size[0]


async def test_metrics_tab_is_keyboard_first(tmp_path: Path):
    from tminus.ui.screens.metric_detail import MetricDetailScreen
    from tminus.ui.widgets.metric_panel import MetricPanel
    from tminus.ui.widgets.scoreboard import Scoreboard

    app, engine = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("4")
        await until(pilot, lambda: isinstance(app.focused, MetricPanel), "a focused panel")
        first = engine.plan.metrics[0].id
        assert isinstance(app.focused, MetricPanel) and app.focused.metric.id == first
        await pilot.press("right")
        assert app.focused.metric.id == engine.plan.metrics[1].id
        await pilot.press("down")
        assert app.focused.metric.id == engine.plan.metrics[3].id
        await pilot.press("enter")  # at once: no tab presses first
        await pilot.pause()
        assert isinstance(app.screen, MetricDetailScreen)
        assert app.screen.metric.id == engine.plan.metrics[3].id
        await pilot.press("escape")
        await pilot.pause()
        for _ in range(4):
            await pilot.press("down")
        await pilot.pause()
        board = app.screen.query_one(Scoreboard)
        assert board.has_focus
        # the scoreboard is on screen and scrolls: its last criterion can be reached
        view = board.parent.parent
        for _ in range(10):
            await pilot.press("down")
        await pilot.pause()
        assert view.max_scroll_y > 0 and view.scroll_y == view.max_scroll_y
        lines = screen_lines(app)
        last = engine.plan.success_criteria[-1].title
        assert any(last[:30] in line for line in lines), lines


def test_chart_time_axis_is_labelled_sensibly():
    from tminus.ui.screens.metric_detail import time_axis

    assert [t for _, t in time_axis(900)[2]] == ["-15m", "-10m", "-5m", "now"]
    divisor, word, ticks = time_axis(86400)
    assert (divisor, word) == (3600.0, "hours")
    assert all("1440" not in t for _, t in ticks) and ticks[-1][1] == "now"


async def test_chart_shows_hours_on_the_24h_range(tmp_path: Path):
    from tminus.ui.screens.metric_detail import MetricDetailScreen
    from tminus.ui.widgets.metric_panel import MetricPanel

    app, _engine = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("4")
        await until(pilot, lambda: isinstance(app.focused, MetricPanel), "a focused panel")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, MetricDetailScreen), "the chart")
        await pilot.press("4")  # 24h
        await until(pilot, lambda: "hours before now" in "\n".join(screen_lines(app)), "hours")
        text = "\n".join(screen_lines(app))
    assert "hours before now" in text and "-1440" not in text
    assert "-10h" in text and "now" in text


def test_sparklines_are_anchored_and_scroll():
    from tminus.ui.widgets.format import BLOCKS, scale_for, sparkline, time_columns

    flat = [1.0] * 10
    lo, hi = scale_for(flat, "ratio")
    assert hi == 1.0 and lo < 1.0
    assert set(sparkline(flat, 10, lo, hi)) == {BLOCKS[-1]}  # a flat 100% at the top
    dip = [0.986] * 5 + [0.95]
    lo, hi = scale_for(dip, "ratio")
    line = sparkline(dip, 6, lo, hi)
    assert line[-1] != BLOCKS[0]  # 98.6 -> 95% is a dip, not a collapse to the bottom
    tiny = [0.0002, 0.0003, 0.0004]
    assert scale_for(tiny, "ratio") == (0.0002, 0.0004)  # a small error rate keeps its range
    # a fixed time grid: one more poll changes the newest column only
    points = [(float(t), float(t % 7)) for t in range(0, 100, 5)]
    before = time_columns(points, 8, 10.0)
    after = time_columns([*points, (101.0, 50.0)], 8, 10.0)
    assert after[:-1] == before[1:] or after[:-1] == before[:-1]
    assert after[-1] != before[-1] or len(after) != len(before)


async def test_rollback_screen_footer_orders_keys_by_importance(tmp_path: Path):
    """The rollback screen has the console's footer: its keys by importance, whole, help
    always, at 80x24."""
    from tminus.ui.screens.rollback_screen import RollbackScreen
    from tminus.ui.widgets.key_footer import KeyFooter

    app, engine = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await engine.declare_trigger("data-corruption", "checksums differ on replica 2")
        await pilot.pause()
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, RollbackScreen), "the rollback screen")
        assert app.screen.query_one(KeyFooter)
        await until(pilot, lambda: "Arm" in footer(screen_lines(app)), "its footer's keys")
        keys = footer(screen_lines(app))
    assert keys.startswith("? Help a Arm"), keys
    assert "▏" not in keys and len(keys) <= 80
    shown = [d for d in ("Arm", "Ack trigger", "Dry run", "Back", "Clear trigger") if d in keys]
    assert shown == sorted(shown, key=keys.index)  # in IMPORTANCE's order
    assert {"Arm", "Dry run", "Back"} <= set(shown)


def test_a_scale_label_never_shows_a_moving_line_as_one_value() -> None:
    from tminus.ui.widgets.format import scale_label

    assert scale_label(11.6, 12.4, "count") == "11.6-12.4 "  # "12-12" said nothing moved
    assert scale_label(12.0, 12.0, "count") == "12-12 "  # flat: the unit's own text
    assert scale_label(0.95, 1.0, "ratio") == "95.0%-100.0% "
