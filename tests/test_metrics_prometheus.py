"""Live metrics against a real Prometheus scraping a test exporter."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from textual.widgets import Static, TabbedContent

from tminus.backends.factory import build_backends
from tminus.core.clock import SystemClock
from tminus.engine.console import ConsoleEngine
from tminus.engine.metrics import MetricsPoller
from tminus.engine.session import SessionWriter, load_events
from tminus.plan.loader import parse_plan
from tminus.ui.app import TminusApp
from tminus.ui.widgets.metric_panel import MetricPanel
from tminus.ui.widgets.trigger_banner import TriggerBanner

from console_factory import eventually, until

ERROR_RATIO = 'sum(rate(http_requests_total{code="500"}[5s])) / sum(rate(http_requests_total[5s]))'


def plan_text(url: str, *, extra_metrics: str = "", poll: str = "1s") -> str:
    return f"""
[launch]
name = "PromLaunch"
t0 = 2026-12-04T16:00:00Z

[backends.prometheus]
url = "{url}"
timeout = "3s"

[settings]
poll_interval = "{poll}"
sample_every = "60s"

[[phases]]
id = "go"
title = "Go"
at = "0"
  [[phases.sections]]
  title = "Watch"
    [[phases.sections.items]]
    title = "Watch it"
    manual = true

[[metrics]]
id = "error_rate"
title = "Error rate"
unit = "ratio"
query = '{ERROR_RATIO}'
ok = "< 1%"
warn = "< 5%"
{extra_metrics}
[[triggers]]
id = "errors"
title = "Error rate > 5%"
metric = "error_rate"
when = "> 5%"
for = "0s"

[[success_criteria]]
title = "< 1% errors"
metric = "error_rate"
target = "< 1%"
"""


def prom_api(url: str, path: str, **params: str) -> dict:
    q = urllib.parse.urlencode(params)
    with urllib.request.urlopen(f"{url}/api/v1/{path}?{q}", timeout=5) as resp:
        return json.loads(resp.read())


async def rate_has_data(poller: MetricsPoller, poll) -> None:
    """rate() needs two scrapes in its window: a fresh Prometheus has none for a moment."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        await poller.poll_once(poll)
        if poller.series[poll.id].state == "value":
            return
        await asyncio.sleep(0.5)
    raise AssertionError(f"{poll.query} never returned data")


async def test_history_matches_prometheus(prometheus):
    plan = parse_plan(plan_text(prometheus.url))
    backends = build_backends(plan)
    theirs: list = []
    deadline = time.monotonic() + 20
    while len(theirs) < 3 and time.monotonic() < deadline:  # a fresh server: wait for points
        end = float(int(time.time()))  # whole seconds: both sides ask for the same instants
        start = end - 60
        result = prom_api(
            prometheus.url,
            "query_range",
            query="sum(http_requests_total)",
            start=str(start),
            end=str(end),
            step="1",
        )["data"]["result"]
        theirs = result[0]["values"] if result else []
        await asyncio.sleep(0.5)
    ours = await backends.metrics.query_range(
        "sum(http_requests_total)", start=start, end=end, step=1, timeout=5
    )
    assert len(theirs) >= 3
    assert [(round(t, 3), v) for t, v in ours.points] == [
        (round(float(t), 3), float(v)) for t, v in theirs
    ]
    # the sparkline's buffer is filled from that same range query, then live samples
    poller = MetricsPoller(plan, backends.metrics, SystemClock())
    poller.series["error_rate"].backfill(list(ours.points))
    await rate_has_data(poller, poller.polls[0])
    points = list(poller.series["error_rate"].points)
    assert points[: len(ours.points)] == list(ours.points)
    assert points[-1][1] == poller.series["error_rate"].last_value
    await backends.close()


async def test_no_data_and_query_error_are_distinct_states(prometheus):
    extra = """
[[metrics]]
id = "missing"
title = "Missing"
query = "nonexistent_metric_total"

[[metrics]]
id = "broken"
title = "Broken"
query = "sum(rate(http_requests_total[5s]"
"""
    plan = parse_plan(plan_text(prometheus.url, extra_metrics=extra))
    backends = build_backends(plan)
    poller = MetricsPoller(plan, backends.metrics, SystemClock())
    by_id = {p.id: p for p in poller.polls}
    await poller.poll_once(by_id["missing"])
    await poller.poll_once(by_id["broken"])
    await rate_has_data(poller, by_id["error_rate"])
    assert poller.series["missing"].state == "no_data"
    assert poller.series["missing"].last_value is None  # never a zero
    assert poller.series["broken"].state == "error"
    assert (
        "query" in poller.series["broken"].error and "parse error" in poller.series["broken"].error
    )
    assert poller.series["error_rate"].state == "value"
    await backends.close()


async def test_prometheus_stopped_shows_errors_then_recovers(prometheus):
    plan = parse_plan(plan_text(prometheus.url))
    backends = build_backends(plan)
    poller = MetricsPoller(plan, backends.metrics, SystemClock())
    poll = poller.polls[0]
    await rate_has_data(poller, poll)
    before = poller.series["error_rate"].last_value
    prometheus.stop()
    try:
        await poller.poll_once(poll)
        series = poller.series["error_rate"]
        assert series.state == "error" and "unreachable" in series.error
        assert series.last_value == before  # the last real value is kept, not zeroed
    finally:
        prometheus.start()
    await poller.poll_once(poll)
    assert poller.series["error_rate"].state == "value"
    await backends.close()


def make_console(plan_src: str, session_dir: Path) -> tuple[TminusApp, ConsoleEngine]:
    plan = parse_plan(plan_src)
    session_dir.mkdir(parents=True, exist_ok=True)
    session = SessionWriter(session_dir / "prom.jsonl", resume=False)
    engine = ConsoleEngine(plan, build_backends(plan), session=session)

    async def start() -> None:
        await engine.start(mode="test", plan_path="prom.toml", resumed=False)

    return TminusApp(engine, remember_theme=False, on_start=start), engine


@pytest.mark.timeout(90)
async def test_injected_errors_fire_the_trigger_in_the_app(prometheus, tmp_path):
    prometheus.exporter.set_error_ratio(0.0)
    app, engine = make_console(plan_text(prometheus.url), tmp_path / "s")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("2")  # the Metrics tab
        await pilot.pause()
        assert app.screen.query_one(TabbedContent).active == "metrics"
        await eventually(
            lambda: (
                engine.poller.series["error_rate"].state == "value"
                and engine.poller.series["error_rate"].last_value < 0.01
            ),
            "a healthy error rate",
            seconds=20,
        )
        assert not engine.state.firing
        banner = app.screen.query_one(TriggerBanner)
        assert not banner.has_class("firing")
        prometheus.exporter.set_error_ratio(0.10)
        await eventually(lambda: bool(engine.state.firing), "the trigger at 10% errors", seconds=30)
        await pilot.pause()
        assert banner.has_class("firing")
        assert "Error rate > 5%" in str(banner.content)
        panel = app.screen.query_one("#metric-error_rate", MetricPanel)
        assert "bad" in str(panel.query_one(".metric-head", Static).content)
        from tminus.ui.screens.rollback_screen import RollbackScreen

        await pilot.press("x")  # one key to the rollback screen
        await until(pilot, lambda: isinstance(app.screen, RollbackScreen), "the rollback screen")
        await pilot.press("escape")
        await pilot.pause()
        # and back to healthy: the trigger clears
        prometheus.exporter.set_error_ratio(0.0)
        await eventually(lambda: not engine.state.firing, "the trigger cleared", seconds=30)
    events = load_events(engine.session.path).events
    fired_events = [e for e in events if e.type == "trigger.fired"]
    assert fired_events and fired_events[0].data["trigger"] == "errors"
    assert fired_events[0].data["value"] > 0.05
    assert any(e.type == "trigger.cleared" for e in events)
    samples = [e for e in events if e.type == "metric.sample"]
    assert samples and all(e.data["metric"] == "error_rate" for e in samples)
