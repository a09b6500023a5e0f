"""Recorded samples that are not finite numbers (a ratio of zero requests is NaN in
Prometheus; a division by zero is +Inf) must not break a report: they are gaps in its
charts, in Markdown and in HTML, and the finite samples around them are still drawn."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from textual.widgets import Static

from scripted_session import record_session
from tminus.backends.factory import build_backends
from tminus.engine.console import ConsoleEngine
from tminus.engine.rehearse import BLOCKER, Rehearsal
from tminus.engine.rollback_verify import PlanVerifier
from tminus.engine.runner import CheckRunner
from tminus.engine.session import SessionWriter
from tminus.engine.state import SessionState
from tminus.engine.summary import summarize
from tminus.plan.loader import parse_plan
from tminus.report.model import build_report
from tminus.report.render import render_html, render_markdown
from tminus.ui.app import TminusApp
from tminus.ui.widgets.metric_panel import MetricPanel

from console_factory import until

ODD = [float("nan"), float("inf"), float("-inf")]


async def odd_session(tmp_path: Path) -> Path:
    path = tmp_path / "odd.jsonl"
    await record_session(path, close=False)
    writer = SessionWriter(path, resume=True)
    try:
        for value in ODD:
            await writer.emit("metric.sample", metric="error_rate", value=value)
    finally:
        writer.close()
    return path


async def test_a_report_draws_charts_around_samples_that_are_not_numbers(tmp_path):
    report = build_report(await odd_session(tmp_path))
    chart = next(c for c in report.charts if c.id == "error_rate")
    assert any(math.isnan(v) or math.isinf(v) for _, v in chart.points)  # they are recorded

    markdown = render_markdown(report)
    line = next(x for x in markdown.splitlines() if x.startswith("Error rate"))
    assert re.search("[▁▂▃▄▅▆▇█]{2,}", line)  # the finite samples are drawn
    assert "nan" not in line.lower() and "inf" not in line.lower()

    html = render_html(report)
    figure = html[html.index('data-metric="error_rate"') :]
    figure = figure[: figure.index("</figure>")]
    assert "nan" not in figure.lower() and "inf" not in figure.lower()
    # a line through the finite samples (two or more, as the scripted polls recorded them)
    assert re.search(r'points="[-0-9.]+,[-0-9.]+( [-0-9.]+,[-0-9.]+)+"', figure)


ODD_PLAN = """
[launch]
name = "OddLaunch"
t0 = 2026-12-04T16:00:00Z

[backends.prometheus]
url = "{url}"
timeout = "3s"

[settings]
poll_interval = "1s"

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
id = "up_inf"
title = "Plus infinity"
unit = "ratio"
query = "vector(1) / vector(0)"
ok = "< 1%"

[[metrics]]
id = "down_inf"
title = "Minus infinity"
unit = "seconds"
query = "vector(-1) / vector(0)"
ok = "< 0.3"

[[metrics]]
id = "nan"
title = "Not a number"
unit = "ratio"
query = "vector(0) / vector(0)"
ok = "< 1%"

[[triggers]]
id = "too-high"
title = "Too high"
metric = "up_inf"
when = "> 5%"
for = "0s"

[[success_criteria]]
title = "Low"
metric = "down_inf"
target = "< 0.3"
"""


@pytest.mark.timeout(90)
async def test_prometheus_answers_that_are_not_numbers_break_nothing(prometheus, tmp_path):
    """Real Prometheus answers +Inf, -Inf and NaN (divisions by zero): the console draws
    them, the trigger does not fire on them, and the report of the session is made."""
    plan = parse_plan(ODD_PLAN.format(url=prometheus.url))
    session = SessionWriter(tmp_path / "odd.jsonl", resume=False)
    engine = ConsoleEngine(plan, build_backends(plan), session=session)

    async def start() -> None:
        await engine.start(mode="test", plan_path="odd.toml", resumed=False)

    app = TminusApp(engine, remember_theme=False, on_start=start)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("2")  # the Metrics tab
        await until(
            pilot,
            lambda: (
                engine.poller is not None
                and all(s.last_value is not None for s in engine.poller.series.values())
            ),
            "a value of every metric",
        )
        values = {k: s.last_value for k, s in engine.poller.series.items()}
        assert values["up_inf"] == math.inf and values["down_inf"] == -math.inf
        assert values["nan"] is not None and math.isnan(values["nan"])
        for _ in range(3):  # more polls, more frames: the console is still alive
            await pilot.pause(0.5)
        assert app.is_running and app.return_code is None
        assert not engine.state.firing  # infinity is not data, as in Prometheus's alerts
        panels = app.screen.query(MetricPanel)
        heads = " ".join(str(p.query_one(".metric-head", Static).content) for p in panels)
        assert "Plus infinity" in heads and "Minus infinity" in heads
        await pilot.press("enter")  # the first panel's chart
        await until(pilot, lambda: type(app.screen).__name__ == "MetricDetailScreen", "the chart")
        for key in ("escape", "1", "3", "4", "5", "6"):  # every other tab draws them too
            await pilot.press(key)
            await pilot.pause(0.3)
        assert app.is_running and app.return_code is None
        await pilot.press("q")
    report = build_report(tmp_path / "odd.jsonl")
    markdown, html = render_markdown(report), render_html(report)
    assert "## Metrics" in markdown and "OddLaunch" in html


async def test_rehearse_and_verify_call_answers_that_are_not_numbers_no_data(prometheus):
    """The readiness report and a rollback's `verify` step hold NaN and ±Inf as no data
    (never a pass, never a crash), with real Prometheus answering them."""
    plan = parse_plan(ODD_PLAN.format(url=prometheus.url))
    readiness = await Rehearsal(plan, build_backends(plan)).run()
    found = {(f.area, f.id): f for f in readiness.findings}
    assert found[("metric", "up_inf")].status == BLOCKER
    assert "no number" in found[("metric", "up_inf")].detail
    assert "nan" in found[("metric", "nan")].detail
    assert "cannot be judged" in found[("trigger", "too-high")].detail

    backends = build_backends(plan)
    runner = CheckRunner(plan, backends, session=None, state=SessionState())
    verdict = await PlanVerifier(plan, runner, backends.metrics).verify([], ["down_inf"])
    await backends.close()
    assert not verdict.passed
    assert verdict.lines == ("down_inf: -inf",)


def test_a_status_summary_holds_infinity_as_no_data():
    plan = parse_plan(ODD_PLAN.format(url="http://127.0.0.1:9"))
    now = plan.launch.t0
    values = {"up_inf": math.inf, "down_inf": -math.inf, "nan": math.nan}
    summary = summarize(plan, SessionState(), now, values)
    assert {m.id: m.state for m in summary.metrics} == dict.fromkeys(values, "no_data")
    assert [m.text for m in summary.metrics] == ["∞", "-∞", "-"]
