"""Verdicts: every series judged, NaN and ±Inf never data, conditions type-checked at
validate time, triggers per series with hold timers that survive a resume."""

from __future__ import annotations

import asyncio
import math
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tminus.core.conditions import Condition, ConditionError
from tminus.core.series import SeriesValue, judge_series, reduce_series
from tminus.engine.history import MetricSeries
from tminus.engine.session import SessionWriter, load_events
from tminus.engine.state import fold
from tminus.engine.triggers import ABSENT_POLLS, TriggerWatcher
from tminus.plan.loader import PlanError, parse_plan
from tminus.plan.model import Trigger

from console_factory import folded, make_app

NON_FINITE = st.sampled_from([math.nan, math.inf, -math.inf])
NUMBERS = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e9, max_value=1e9)
CONDITIONS = st.sampled_from(
    [
        "value < 0.05",
        "value > 0.05",
        "value <= 1",
        "value >= -1",
        "value == 0",
        "value != 0",
        "not (value > 1)",
        "not (value < 1)",
        "value < 1 or value >= 1",
        "not (value == 1) and not (value != 1)",
        "abs(value) >= 0",
        "< 0.001",
        "!= 5",
    ]
)


# ------------------------------------------------------------------ non-finite values
@given(cond=CONDITIONS, bad=NON_FINITE, good=st.lists(NUMBERS, max_size=4))
@settings(max_examples=300, deadline=None)
def test_nan_and_inf_never_pass(cond: str, bad: float, good: list[float]) -> None:
    condition = Condition.parse(cond)
    series = [SeriesValue((("region", f"r{i}"),), v) for i, v in enumerate(good)]
    series.append(SeriesValue((("region", "bad"),), bad))
    verdict = judge_series(condition, series)
    assert not verdict.passed  # one series without a number: never a pass
    assert [s.value for s in verdict.no_number] == [bad] or math.isnan(bad)
    # and evaluated directly, a non-finite value is neither true nor false
    with pytest.raises(ValueError):
        condition.evaluate({"value": bad})


@given(cond=CONDITIONS, how=st.sampled_from(["each", "worst", "sum", "min", "max", "avg"]))
@settings(max_examples=100, deadline=None)
def test_an_empty_vector_never_passes(cond: str, how: str) -> None:
    verdict = judge_series(Condition.parse(cond), reduce_series([], how))
    assert verdict.empty and not verdict.passed


@given(values=st.lists(NUMBERS, min_size=1, max_size=5), bad=NON_FINITE)
@settings(max_examples=100, deadline=None)
def test_a_reduction_over_an_unknown_is_unknown(values: list[float], bad: float) -> None:
    series = [SeriesValue((), v) for v in values] + [SeriesValue((), bad)]
    for how in ("sum", "min", "max", "avg"):
        (folded,) = reduce_series(series, how)
        assert not math.isfinite(folded.value)
        assert not judge_series(Condition.parse("value > -1e12"), [folded]).passed


def test_numeric_text_that_is_nan_is_not_a_number() -> None:
    with pytest.raises(ValueError, match="not a number"):
        Condition.parse("body.x < 5").evaluate({"body": {"x": "NaN"}})


def test_each_series_is_judged_not_the_first() -> None:
    series = [
        SeriesValue((("region", "ap-south"),), 0.001),
        SeriesValue((("region", "eu-west"),), 0.9),
    ]
    verdict = judge_series(Condition.parse("value < 0.05"), series)
    assert not verdict.passed
    assert [dict(s.labels)["region"] for s in verdict.failing] == ["eu-west"]


# ------------------------------------------------------------------ plan validation
PLAN = """
[launch]
name = "V"
t0 = 2026-12-04T16:00:00Z

[backends.prometheus]
url = "http://127.0.0.1:9"

[[phases]]
id = "go"
title = "Go"
at = "0"
  [[phases.sections]]
  title = "S"
    [[phases.sections.items]]
    title = "Errors"
    check = {{ kind = "prometheus", query = "up", {check} }}

[[metrics]]
id = "m"
title = "M"
query = "up"

[[triggers]]
id = "t"
title = "T"
metric = "m"
when = "{when}"
"""


def problems(text: str) -> list[str]:
    with pytest.raises(PlanError) as err:
        parse_plan(text)
    return [str(p) for p in err.value.problems]


def test_a_condition_that_cannot_hold_for_its_kind_is_a_plan_error() -> None:
    found = problems(PLAN.format(check='expect = "value < 1"', when="value contains 1"))
    assert len(found) == 1
    assert found[0].startswith("plan.toml:28: triggers[0].when: bad condition")
    assert "'contains' needs text or a list on the left, got a number" in found[0]
    found = problems(PLAN.format(check='expect = "value"', when="> 1"))
    assert "items[0].check.expect" in found[0] and "is a number, not true or false" in found[0]
    found = problems(PLAN.format(check='expect = "value.x > 1"', when="> 1"))
    assert "value is a number: it has no field 'x'" in found[0]
    # labels are a table: their fields are whatever the query returns
    parse_plan(PLAN.format(check='expect = "labels.region == \\"eu\\""', when="> 1"))


@pytest.mark.parametrize("number", ["nan", "inf", "-inf", "+inf"])
def test_non_finite_configured_numbers_are_refused(number: str) -> None:
    check = f'expect = "value < 1", min_samples_query = "up", min_samples = {number}'
    found = problems(PLAN.format(check=check, when="> 1"))
    assert any("min_samples: expected a finite number" in p for p in found), found


def test_a_number_too_large_for_a_float_is_refused() -> None:
    with pytest.raises(ConditionError, match="too large"):
        Condition.parse("value < 1e999")


# ------------------------------------------------------------------ triggers per series
def labelled(region: str, value: float) -> SeriesValue:
    return SeriesValue((("region", region),), value)


async def test_each_series_holds_fires_and_clears_on_its_own(tmp_path):
    _, engine = make_app(tmp_path)
    engine.attach_loop(asyncio.get_running_loop())
    clock = engine.clock
    series = MetricSeries("error_rate")

    async def observe(*samples: SeriesValue) -> None:
        if samples:
            series.add(clock.now(), max(s.value for s in samples), samples)
        else:
            series.no_data()
        await engine.triggers.observe(series)
        await folded(engine)

    def firing() -> set[str]:
        st = engine.state.triggers.get("error-rate")
        return {a.labels["region"] for a in st.firing_series()} if st else set()

    await observe(labelled("eu", 0.07), labelled("us", 0.001))
    clock.advance(20)
    await observe(labelled("eu", 0.07), labelled("us", 0.09))  # us starts its own hold
    clock.advance(11)
    await observe(labelled("eu", 0.07), labelled("us", 0.09))
    assert firing() == {"eu"}  # eu held 31 s of 30, us only 11
    clock.advance(20)
    await observe(labelled("eu", 0.07), labelled("us", 0.09))
    assert firing() == {"eu", "us"}
    # NaN for one series and no data for the whole query clear nothing
    await observe(labelled("eu", math.nan), labelled("us", 0.09))
    await observe()
    assert firing() == {"eu", "us"}
    # eu recovers: only eu clears, with its labels on the event
    await observe(labelled("eu", 0.001), labelled("us", 0.09))
    assert firing() == {"us"}
    # us vanishes from the answer: it clears only after ABSENT_POLLS polls without it
    for _ in range(ABSENT_POLLS - 1):
        await observe(labelled("eu", 0.001))
        assert firing() == {"us"}
    await observe(labelled("eu", 0.001))
    assert firing() == set()
    events = load_events(engine.session.path).events
    fired = [e.data["labels"]["region"] for e in events if e.type == "trigger.fired"]
    cleared = [e.data["labels"]["region"] for e in events if e.type == "trigger.cleared"]
    assert fired == ["eu", "us"] and cleared == ["eu", "us"]
    engine.session.close()


async def test_a_pending_hold_survives_a_resume(tmp_path):
    _, engine = make_app(tmp_path)
    engine.attach_loop(asyncio.get_running_loop())
    clock = engine.clock
    series = MetricSeries("error_rate")
    series.add(clock.now(), 0.07, (labelled("eu", 0.07),))
    await engine.triggers.observe(series)
    await folded(engine)
    path = engine.session.path
    engine.session.close()

    # a new console on the same session: the hold began 20 s ago, not now
    clock.advance(20)
    state = fold(load_events(path).events)
    assert state.triggers["error-rate"].alerts['region="eu"'].state == "pending"
    session = SessionWriter(path, resume=True)
    watcher = TriggerWatcher(engine.plan, state, clock, session=session, actor="t")
    assert watcher.holding_for("error-rate") == pytest.approx(20)
    clock.advance(11)
    series.add(clock.now(), 0.08, (labelled("eu", 0.08),))
    await watcher.observe(series)
    session.close()
    fired = [e for e in load_events(path).events if e.type == "trigger.fired"]
    assert len(fired) == 1 and fired[0].data["labels"] == {"region": "eu"}
    assert fired[0].data["held_s"] == pytest.approx(31, abs=0.5)


async def test_a_condition_failing_at_run_time_shows_an_error_and_polling_goes_on(tmp_path, caplog):
    _, engine = make_app(tmp_path)
    engine.attach_loop(asyncio.get_running_loop())
    # validation refuses this condition; a plan built in code can still carry one
    broken = Trigger(
        id="t", title="T", metric="error_rate", when=Condition.parse("value contains 1")
    )
    watcher = TriggerWatcher(
        engine.plan.__class__(**{**engine.plan.__dict__, "triggers": (broken,)}),
        engine.state,
        engine.clock,
        session=engine.session,
        actor="t",
    )
    series = MetricSeries("error_rate")
    series.add(engine.clock.now(), 0.5)
    await watcher.observe(series)
    assert "cannot evaluate value contains 1" in series.condition_error
    assert "cannot evaluate value contains 1" in caplog.text
    series.add(engine.clock.now(), 0.6)  # the next poll is judged again, not skipped
    await watcher.observe(series)
    await folded(engine)
    assert caplog.text.count("cannot evaluate") == 1  # logged once, not every poll
    logged = [e for e in load_events(engine.session.path).events if e.type == "trigger.error"]
    assert len(logged) == 1 and "cannot evaluate value contains 1" in logged[0].data["error"]
    assert series.state == "value" and series.last_value == 0.6
    engine.session.close()


def test_hold_is_kept_from_the_plan() -> None:
    trig = Trigger(id="t", title="T", alert="up == 0", hold=timedelta(seconds=5))
    assert list(trig.validate()) == []
    bad = Trigger(id="t", title="T", alert="up == 0", metric="m")
    assert [m for _, m in bad.validate()]


# ------------------------------------------------------------------ the demo world
async def test_the_demo_world_answers_by_region_with_a_series_per_region() -> None:
    from datetime import UTC, datetime

    from tminus.backends.demo.metrics import DemoMetrics
    from tminus.backends.demo.world import DemoWorld
    from tminus.core.clock import FrozenClock

    t0 = datetime(2026, 12, 4, 16, 0, tzinfo=UTC)
    clock = FrozenClock(t0)
    demo = DemoMetrics(DemoWorld("healthy", 1, clock=clock, t0=t0))
    clock.advance(600)
    result = await demo.query("sum by (region) (rate(http_requests_total[1m]))", timeout=1)
    regions = [dict(s.labels)["region"] for s in result.samples]
    assert len(regions) >= 2 and regions == sorted(regions)
    assert result.series == len(regions) and all(s.value > 0 for s in result.samples)
    total = await demo.query("sum(rate(http_requests_total[1m]))", timeout=1)
    assert total.value == pytest.approx(sum(s.value for s in result.samples))
