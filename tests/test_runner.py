"""The check engine against a real loopback HTTP server: concurrency, exclusivity,
timeouts, retries, cancellation, and the session record."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tminus.backends.factory import build_backends
from tminus.core.results import Outcome
from tminus.engine.runner import CheckRunner
from tminus.engine.session import create_session, load_events
from tminus.engine.state import fold
from tminus.plan.loader import parse_plan


def http_plan(
    base: str, items: list[tuple[str, str]], extra: str = "", concurrency: int = 8
) -> str:
    """A plan of http items: (title, inline check table body)."""
    lines = [
        '[launch]\nname = "Runner"\nt0 = 2026-12-04T16:00:00Z\n',
        f'[settings]\nconcurrency = {concurrency}\ncheck_timeout = "5s"\n',
        '[[phases]]\nid = "p"\ntitle = "P"\nat = "0"\n[[phases.sections]]\ntitle = "S"\n',
    ]
    for title, body in items:
        body = body.replace("BASE", base)
        lines.append(f'[[phases.sections.items]]\ntitle = "{title}"\ncheck = {{ {body} }}\n')
    lines.append('[[phases.sections.items]]\ntitle = "By hand"\nmanual = true\n')
    return "\n".join(lines) + extra


def slow(n: int, ms: int, **kw: str) -> list[tuple[str, str]]:
    extra = "".join(f", {k} = {v}" for k, v in kw.items())
    return [(f"slow {i}", f'kind = "http", url = "BASE/slow?ms={ms}"{extra}') for i in range(n)]


async def test_concurrency_is_bounded(http_server):
    plan = parse_plan(http_plan(http_server.url, slow(12, 150), concurrency=3))
    runner = CheckRunner(plan, build_backends(plan))
    results = await runner.run()
    assert len(results) == 12 and all(r.outcome is Outcome.PASS for r in results.values())
    assert http_server.max_in_flight == 3
    await runner.backends.close()


async def test_exclusive_check_runs_alone(http_server):
    items = [*slow(6, 200), ("alone", 'kind = "http", url = "BASE/slow?ms=200", exclusive = true')]
    plan = parse_plan(http_plan(http_server.url, items, concurrency=8))
    runner = CheckRunner(plan, build_backends(plan))
    in_flight_during: list[int] = []

    async def watch() -> None:
        while True:
            st = runner.gate
            if st.exclusive_active:
                in_flight_during.append(st.active)
            await asyncio.sleep(0.01)

    watcher = asyncio.create_task(watch())
    await runner.run()
    watcher.cancel()
    assert in_flight_during and max(in_flight_during) == 0  # nothing shared ran beside it
    await runner.backends.close()


async def test_timeout_is_an_error_never_a_pass(http_server):
    plan = parse_plan(http_plan(http_server.url, slow(1, 3000, timeout='"300ms"')))
    runner = CheckRunner(plan, build_backends(plan))
    (result,) = (await runner.run()).values()
    assert result.outcome is Outcome.ERROR
    assert "timeout" in result.message or "timed out" in result.message
    assert result.duration_ms < 1500
    await runner.backends.close()


async def test_retries_count_attempts_and_back_off(http_server):
    items = [("down", 'kind = "http", url = "BASE/status/503", retries = 2, backoff = "50ms"')]
    plan = parse_plan(http_plan(http_server.url, items))
    runner = CheckRunner(plan, build_backends(plan))
    (result,) = (await runner.run()).values()
    assert result.outcome is Outcome.FAIL and result.attempts == 3
    assert http_server.count("/status/503") == 3
    await runner.backends.close()


async def test_consecutive_errors_before_an_error(http_server):
    items = [("flaky", 'kind = "http", url = "http://127.0.0.1:9/", consecutive_errors = 2')]
    plan = parse_plan(http_plan(http_server.url, items))
    runner = CheckRunner(plan, build_backends(plan))
    first = await runner.run_one("flaky")
    second = await runner.run_one("flaky")
    assert first.outcome is Outcome.INCONCLUSIVE and "error 1 of 2" in first.message
    assert second.outcome is Outcome.ERROR
    await runner.backends.close()


async def test_cancel_stops_checks_promptly_and_records_them_skipped(http_server):
    plan = parse_plan(http_plan(http_server.url, slow(4, 4000)))
    session = create_session("runner")
    runner = CheckRunner(plan, build_backends(plan), session=session)
    task = asyncio.create_task(runner.run())
    await asyncio.sleep(0.3)
    started = asyncio.get_running_loop().time()
    runner.cancel()
    results = await task
    assert asyncio.get_running_loop().time() - started < 1.0
    assert {r.outcome for r in results.values()} == {Outcome.SKIPPED}
    await runner.backends.close()
    session.close()
    state = fold(load_events(session.path).events)
    assert len(state.items) == 4
    assert all(st.last and st.last.outcome is Outcome.SKIPPED for st in state.items.values())


async def test_results_are_session_events(http_server):
    plan = parse_plan(http_plan(http_server.url, slow(3, 10)))
    session = create_session("runner")
    runner = CheckRunner(plan, build_backends(plan), session=session)
    await runner.run()
    session.close()
    types = [e.type for e in load_events(session.path).events]
    assert types.count("check.started") == 3 and types.count("check.finished") == 3
    await runner.backends.close()


def tminus(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tminus.cli", *args], capture_output=True, text=True, timeout=120
    )


def test_tminus_check_json_junit_and_exit_codes(http_server, tmp_path: Path):
    items = [
        ("healthy", 'kind = "http", url = "BASE/health", expect = \'body.status == "UP"\''),
        ("broken", 'kind = "http", url = "BASE/status/500"'),
    ]
    plan = tmp_path / "plan.toml"
    plan.write_text(http_plan(http_server.url, items))
    junit = tmp_path / "junit.xml"
    out = tminus("check", str(plan), "--json", "--junit", str(junit))
    assert out.returncode == 1, out.stderr
    data = json.loads(out.stdout)
    by_id = {r["id"]: r for r in data["results"]}
    assert by_id["healthy"]["outcome"] == "pass" and by_id["healthy"]["kind"] == "http"
    assert by_id["broken"]["outcome"] == "fail" and by_id["broken"]["value"] == 500
    assert by_id["by-hand"]["outcome"] == "manual"
    assert data["summary"] == {
        "pass": 1,
        "warn": 0,
        "fail": 1,
        "error": 0,
        "inconclusive": 0,
        "skipped": 0,
        "manual": 1,
    }
    assert data["session"]
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == "3" and suite.get("failures") == "1"
    # only the healthy one: exit 0, no session with --no-record
    ok = tminus("check", str(plan), "--item", "healthy", "--no-record", "--json")
    assert ok.returncode == 0 and json.loads(ok.stdout)["session"] is None
    human = tminus("check", str(plan), "--item", "healthy", "--no-record")
    assert human.returncode == 0 and "PASS" in human.stdout and "1 checks: 1 pass" in human.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--phase", "nope"], "no phase 'nope'"),
        (["--item", "nope"], "no item 'nope'"),
        (["--concurrency", "0"], "--concurrency must be between"),
    ],
)
def test_tminus_check_bad_arguments(http_server, tmp_path: Path, args, message):
    plan = tmp_path / "plan.toml"
    plan.write_text(http_plan(http_server.url, slow(1, 1)))
    out = tminus("check", str(plan), *args)
    assert out.returncode == 2 and message in out.stderr and "Traceback" not in out.stderr
