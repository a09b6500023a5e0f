"""A metric's value (its latest sample) lies within the scale drawn beside its sparkline,
on the Launch Day strip and on the Metrics tab. A column averages the samples of its time
slot, so a scale of the columns alone read "Registrations 51 · 49-50"."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from screen_lines import screen_lines
from test_console_snapshots import gate_metrics_polled
from tminus.core.units import format_metric
from tminus.plan.loader import default_plan
from tminus.ui.widgets.format import BLOCKS, scale_label

from console_factory import make_app

LABEL = re.compile(rf"(\S+?)-(\S+) [{BLOCKS}]")


def number(text: str) -> float:
    """A value as format_metric or the scale label's extra digits write it."""
    text = text.replace(",", "")
    for suffix, factor in (("k/s", 1000.0), ("/s", 1.0), ("%", 0.01), ("ms", 0.001), ("s", 1.0)):
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * factor
    return float(text)


def within(head: float, label: re.Match[str], unit: str) -> bool:
    """Whether the head lies within the scale as far as its label can tell: taking the
    head into the scale would not change the label."""
    lo, hi = (number(t) for t in label.groups())
    return scale_label(min(lo, head), max(hi, head), unit) == f"{label.group(1)}-{label.group(2)} "


def test_the_scale_takes_in_the_head_and_only_the_columns_drawn():
    from tminus.ui.widgets.format import scaled_sparkline

    columns = [49.2, 49.4, 49.8, 50.3]  # each an average of its slot's samples
    line = scaled_sparkline(columns, 20, "count", head=50.6)
    assert line.startswith("49.2-50.6 "), line  # the value shown, 50.6, lies within
    # columns the label leaves no room for do not stretch the scale
    old = [10.0, 50.0, 50.2, 50.4, 50.6]  # the first column: no room left for it
    assert scaled_sparkline(old, 12, "count", head=50.6).startswith("50-50.6 ")  # not "10-"


def test_a_small_count_that_is_not_whole_is_shown_with_the_scales_digits():
    """The demo's 'Uploads (15m) 12' stood beside a scale of '11.52-11.73': a count
    rounded to a whole number read as outside the scale its own samples drew."""
    from tminus.core.units import format_metric
    from tminus.ui.widgets.format import scaled_sparkline

    head = 11.7
    assert format_metric(head, "count") == "11.7"
    line = scaled_sparkline([11.52, 11.6, 11.65], 20, "count", head=head)
    assert line.startswith("11.5-11.7 "), line
    # whole counts, and big ones, keep their plain form
    assert format_metric(12.0, "count") == "12"
    assert format_metric(4336.4, "count") == "4,336"
    # a ratio stays anchored at the top, with the head in its range
    assert scaled_sparkline([0.99, 0.99], 30, "ratio", head=1.0).startswith("95.0%-100.0% ")
    assert scaled_sparkline([], 20, "count", head=3.0) == ""


@pytest.mark.parametrize("size", [(120, 40), (200, 50)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_every_value_lies_within_its_drawn_scale(tmp_path: Path, size):
    plan = default_plan()
    assert plan.backends.demo is not None
    demo = dataclasses.replace(plan.backends.demo, scenario="bad-release")
    plan = dataclasses.replace(plan, backends=dataclasses.replace(plan.backends, demo=demo))
    units = {m.title: m.unit for m in plan.metrics}
    app, engine = make_app(tmp_path, plan)
    async with app.run_test(size=size) as pilot:
        await gate_metrics_polled(engine, pilot)
        # polls close together, then the bad release takes all the traffic: the newest
        # samples jump, and the column they fall in averages them with the calm ones
        assert engine.rollout is not None
        for step in range(16):
            if step == 12:
                await engine.rollout.apply(100, reason="a test: all traffic at once")
            engine.clock.advance(2)  # type: ignore[attr-defined]
            for poll in engine.poller.polls:
                await engine.poller.poll_once(poll)
        await pilot.press("2")
        await pilot.pause(0.5)
        strip = screen_lines(app)
        await pilot.press("4")
        await pilot.pause(0.5)
        tab = screen_lines(app)
    heads = {m.title: engine.poller.series[m.id].last_value for m in plan.metrics}
    checked = 0
    for line in strip:  # "Registrations (15m)       51              49-51 ▃▃▂▃"
        title = next((t for t in units if line.startswith(f" {t} ")), None)
        label = LABEL.search(line)
        if title and label:
            shown = line[len(title) + 2 :].split()[0]
            assert shown == format_metric(heads[title], units[title])
            assert within(heads[title], label, units[title]), (line, heads[title])
            checked += 1
    for row, line in enumerate(tab[:-1]):  # "│ Registrations (15m)  51  │" over "│ 49-51 ▃▃▂ │"
        for part in line.split("│"):
            title = next((t for t in units if part.startswith(f" {t}  ")), None)
            if title is None:
                continue
            col = line.index(part)
            label = LABEL.search(tab[row + 1][col : col + len(part)])
            assert label, tab[row + 1]
            assert part[len(title) + 3 :].split()[0] == format_metric(heads[title], units[title])
            assert within(heads[title], label, units[title]), (part, label.group(0), heads[title])
            checked += 1
    assert checked >= 2 * len(plan.metrics) - 1, (strip, tab)


def test_one_staleness_rule_for_the_state_the_panels_and_the_gate():
    from tminus.engine.metrics import is_stale

    assert not is_stale(None, 15.0)  # never polled: waiting, not stale
    assert not is_stale(15.0, 15.0)
    assert is_stale(15.5, 15.0)
