"""Every series judged, and alert rules as written, against a real Prometheus.

The exporter serves one series per region; a test turns one region bad. Prometheus's own
alert state (`/api/v1/alerts`, from rules loaded into it with a 1 s evaluation interval) is
the oracle that tminus's imported triggers must agree with at every step.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tminus.backends.factory import build_backends
from tminus.checks.base import CheckContext, check_function
from tminus.core.clock import SystemClock
from tminus.core.results import Outcome
from tminus.engine.console import ConsoleEngine
from tminus.engine.session import SessionWriter, load_events
from tminus.plan.loader import load_plan, parse_plan

RULES = Path(__file__).parent / "fixtures" / "alert_rules.yml"
REPO = Path(__file__).parent.parent


def plan_text(url: str) -> str:
    return f"""
[launch]
name = "Regions"
t0 = 2026-12-04T16:00:00Z

[backends.prometheus]
url = "{url}"
timeout = "3s"

[settings]
poll_interval = "500ms"

[[phases]]
id = "go"
title = "Go"
at = "0"
  [[phases.sections]]
  title = "Regions"
    [[phases.sections.items]]
    id = "region-errors"
    title = "Error ratio under 5% in every region"
    check = {{ kind = "prometheus", query = 'app_region_error_ratio', expect = "value < 0.05" }}

    [[phases.sections.items]]
    id = "no-region-alert"
    title = "No region alert"
    check = {{ kind = "prometheus", alert = 'app_region_error_ratio > 0.05' }}

[[metrics]]
id = "region_errors"
title = "Error ratio by region"
unit = "ratio"
query = 'app_region_error_ratio'
ok = "< 0.05"
"""


TRIGGER = """
[[triggers]]
id = "region-errors"
title = "Region error ratio > 5%"
metric = "region_errors"
when = "> 0.05"
for = "0s"
"""


async def eventually(predicate: Callable[[], bool], timeout: float = 25.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.2)
    return predicate()


def prom_value(prometheus, region: str) -> float:
    result = prometheus.query(f'app_region_error_ratio{{region="{region}"}}')
    return float(result[0]["value"][1]) if result else float("nan")


async def wait_scraped(prometheus, region: str, value: float) -> None:
    assert await eventually(lambda: prom_value(prometheus, region) == value), (
        f"Prometheus never saw {region} at {value}"
    )


def firing_series(engine: ConsoleEngine) -> set[tuple[str, str]]:
    """tminus's alert state in the oracle's shape: (title, region) of every firing series."""
    titles = {t.id: t.title for t in engine.plan.triggers}
    return {
        (titles[st.id], alert.labels.get("region", ""))
        for st in engine.state.triggers.values()
        for alert in st.alerts.values()
        if alert.state == "firing"
    }


async def test_one_bad_region_fails_the_check_and_fires_for_that_series_only(prometheus, tmp_path):
    plan = parse_plan(plan_text(prometheus.url) + TRIGGER)
    backends = build_backends(plan)
    run = check_function("prometheus")
    checks = {item.id: item.check for _, _, item in plan.items()}
    ctx = CheckContext(backends, timeout=5.0)
    session = SessionWriter(tmp_path / "regions.jsonl", resume=False)
    engine = ConsoleEngine(plan, backends, session=session, clock=SystemClock())
    engine.attach_loop(asyncio.get_running_loop())
    assert engine.poller is not None
    try:
        await wait_scraped(prometheus, "eu-west", 0.001)
        healthy = await run(checks["region-errors"], ctx)
        assert healthy.outcome is Outcome.PASS, healthy.message
        assert "all 3 series pass" in healthy.message
        assert (await run(checks["no-region-alert"], ctx)).outcome is Outcome.PASS

        prometheus.exporter.set_region_errors("eu-west", 0.9)
        await wait_scraped(prometheus, "eu-west", 0.9)
        bad = await run(checks["region-errors"], ctx)
        # the first series in label order (ap-south) is healthy: judging only it would pass
        assert bad.outcome is Outcome.FAIL
        assert 'region="eu-west"' in bad.message and "0.9" in bad.message
        alert = await run(checks["no-region-alert"], ctx)
        assert alert.outcome is Outcome.FAIL and 'region="eu-west"' in alert.message

        poll = engine.poller.polls[0]
        await engine.poller.poll_once(poll)
        assert await eventually(lambda: bool(engine.state.firing), 5)
        assert firing_series(engine) == {("Region error ratio > 5%", "eu-west")}
        fired = [e for e in load_events(session.path).events if e.type == "trigger.fired"]
        assert [e.data["labels"]["region"] for e in fired] == ["eu-west"]

        prometheus.exporter.set_region_errors("eu-west", 0.001)
        await wait_scraped(prometheus, "eu-west", 0.001)
        await engine.poller.poll_once(poll)
        assert await eventually(lambda: not engine.state.firing, 5)
        cleared = [e for e in load_events(session.path).events if e.type == "trigger.cleared"]
        assert [e.data["labels"]["region"] for e in cleared] == ["eu-west"]
    finally:
        session.close()
        await backends.close()


def test_rules_file_is_valid_for_promtool():
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool not installed (Debian's prometheus package)")
    out = subprocess.run(
        [promtool, "check", "rules", str(RULES)], capture_output=True, text=True, timeout=30
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "SUCCESS: 3 rules found" in out.stdout


async def test_imported_rules_agree_with_prometheus_alert_state(prometheus, tmp_path):
    plan_path = tmp_path / "plan.toml"
    plan_path.write_text(plan_text(prometheus.url))
    imported = subprocess.run(
        [sys.executable, "-m", "tminus.cli", "import-rules", str(RULES), "--into", str(plan_path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"},
    )
    assert imported.returncode == 0, imported.stderr
    plan = load_plan(plan_path)
    by_id = {t.id: t for t in plan.triggers}
    assert set(by_id) == {"region-high-error-ratio", "host-out-of-disk-space"}
    rule = by_id["region-high-error-ratio"]
    assert rule.hold.total_seconds() == 2 and rule.labels == {"severity": "critical"}
    assert rule.summary == "High error ratio in {{ $labels.region }}"

    prometheus.load_rules(RULES)
    backends = build_backends(plan)
    session = SessionWriter(tmp_path / "oracle.jsonl", resume=False)
    engine = ConsoleEngine(plan, backends, session=session, clock=SystemClock())
    engine.attach_loop(asyncio.get_running_loop())
    assert engine.poller is not None
    engine.poller.start()
    exporter = prometheus.exporter
    steps: list[tuple[str, Callable[[], None], set[tuple[str, str]]]] = [
        ("healthy", exporter.reset_regions, set()),
        (
            "one series bad",
            lambda: exporter.set_region_errors("eu-west", 0.3),
            {("RegionHighErrorRatio", "eu-west")},
        ),
        (
            "two bad",
            lambda: (
                exporter.set_region_errors("ap-south", 0.2),
                exporter.set_disk_free("us-east", 0.05),
            ),
            {
                ("RegionHighErrorRatio", "eu-west"),
                ("RegionHighErrorRatio", "ap-south"),
                ("HostOutOfDiskSpace", "us-east"),
            },
        ),
        ("healthy again", exporter.reset_regions, set()),
    ]
    try:
        for name, act, expected in steps:
            act()
            agreed = await eventually(
                lambda expected=expected: (
                    prometheus.firing_alerts() == expected and firing_series(engine) == expected
                ),
                timeout=30,
            )
            assert agreed, (
                f"{name}: expected {expected}, Prometheus {prometheus.firing_alerts()}, "
                f"tminus {firing_series(engine)}"
            )
        events = load_events(session.path).events
        pending = [e for e in events if e.type == "trigger.pending"]
        # `for: 2s` is kept: the error ratio alerts were pending before they fired
        assert {e.data["labels"]["region"] for e in pending} >= {"eu-west", "ap-south"}
        assert all(e.data["trigger"] == "region-high-error-ratio" for e in pending)
    finally:
        await engine.poller.stop()
        session.close()
        await backends.close()
