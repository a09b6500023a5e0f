"""The demo world: deterministic, coherent, and able to answer every part of the default plan.

The backends are driven through their Protocol methods only, so these tests hold whatever
the check functions in tminus.checks do with the answers.
"""

from __future__ import annotations

import asyncio
import json
import socket
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tminus.backends.base import BackendError, ClusterSnapshot
from tminus.backends.demo import DEMO_ENV, demo_backends, make_world, noise
from tminus.backends.demo.commands import DemoCommands
from tminus.backends.demo.kube import DemoKubernetes
from tminus.backends.demo.metrics import DemoMetrics
from tminus.backends.demo.net import DemoDns, DemoHttp, DemoTcp, DemoTls
from tminus.backends.demo.world import FLAKY_DNS_WINDOW, DemoWorld
from tminus.core.clock import FrozenClock, ScaledClock
from tminus.plan.checkspecs import CommandCheck, HttpCheck, PrometheusCheck
from tminus.plan.loader import default_plan
from tminus.plan.model import DemoConfig

T0 = datetime(2026, 12, 4, 16, 0, tzinfo=UTC)
ERROR_RATIO = 'sum(rate(http_requests_total{code=~"5.."}[1m])) / sum(rate(http_requests_total[1m]))'
PLAN = default_plan()


def plan_queries() -> list[str]:
    """Every PromQL text in the default plan: checks, metrics and success criteria."""
    queries: list[str] = []
    for _, _, item in PLAN.items():
        if isinstance(item.check, PrometheusCheck):
            queries.append(item.check.query)
            if item.check.min_samples_query:
                queries.append(item.check.min_samples_query)
    queries += [m.query for m in PLAN.metrics]
    queries += [c.query for c in PLAN.success_criteria if c.query]
    return list(dict.fromkeys(queries))


def world(scenario: str = "healthy", seed: int = 1) -> tuple[DemoWorld, FrozenClock]:
    clock = FrozenClock(T0)
    return DemoWorld(scenario, seed, clock=clock, t0=T0), clock


async def value(w: DemoWorld, promql: str) -> float | None:
    return (await DemoMetrics(w).query(promql, timeout=1)).value


async def num(w: DemoWorld, promql: str) -> float:
    v = await value(w, promql)
    assert v is not None, f"no data for {promql}"
    return v


# ---------------------------------------------------------------- determinism
async def test_same_seed_and_time_give_the_same_values_however_often_asked() -> None:
    a, _ = world(seed=7)
    b, _ = world(seed=7)
    await value(a, "sum(rate(http_requests_total[1m]))")  # an extra read must change nothing
    for q in plan_queries():
        assert await value(a, q) == await value(b, q), q


def test_noise_does_not_depend_on_the_process() -> None:
    # hashlib, not hash(): str hashes are salted per process (PYTHONHASHSEED)
    assert noise.unit(1, "rps", 0) == pytest.approx(0.00036588189955133466, abs=1e-15)


async def test_different_seeds_give_different_values() -> None:
    a, _ = world(seed=1)
    b, _ = world(seed=2)
    q = "sum(rate(http_requests_total[1m]))"
    assert await value(a, q) != await value(b, q)


async def test_values_move_with_world_time() -> None:
    w, clock = world()
    first = await value(w, "sum(rate(http_requests_total[1m]))")
    clock.advance(300)
    assert await value(w, "sum(rate(http_requests_total[1m]))") != first


# ---------------------------------------------------------------- the default plan
@pytest.mark.parametrize("query", plan_queries())
async def test_every_plan_query_has_a_value(query: str) -> None:
    w, _ = world()
    assert await value(w, query) is not None


async def test_healthy_world_passes_every_prometheus_check_and_metric() -> None:
    w, clock = world()
    clock.advance(3600)
    for _, _, item in PLAN.items():
        if isinstance(item.check, PrometheusCheck):
            cond = item.check.condition
            assert cond is not None
            v = await value(w, item.check.query)
            assert cond.evaluate({"value": v}), (item.title, v)
    for m in PLAN.metrics:
        v = await value(w, m.query)
        assert m.ok is None or m.ok.evaluate({"value": v}), (m.id, v)
    for c in PLAN.success_criteria:
        q = c.query or (PLAN.metric(c.metric).query if c.metric else None)
        if q is not None and c.target is not None:
            assert c.target.evaluate({"value": await value(w, q)}), c.title


async def test_healthy_world_passes_the_plans_http_checks() -> None:
    w, _ = world()
    http, env = DemoHttp(w), demo_backends(w, env={}).env
    checks = [i.check for _, _, i in PLAN.items() if isinstance(i.check, HttpCheck)]
    async with http.client(verify=True, ca_bundle=None, follow_redirects=False, timeout=5) as c:
        for check in checks:
            if check.burst:
                continue
            headers = {h: env[var] for h, var in check.headers_env.items()}
            r = await c.request(check.method, check.url, headers=headers)
            values: dict[str, Any] = {
                "status": r.status_code,
                "headers": {k.lower(): v for k, v in r.headers.items()},
                "body": _json_or_none(r.text),
                "text": r.text,
                "response_time": r.elapsed.total_seconds(),
            }
            cond = check.condition
            assert cond is not None and cond.evaluate(values), (check.url, values)


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


async def test_plan_commands_succeed() -> None:
    w, _ = world()
    cmds = DemoCommands(w)
    checks = [i.check for _, _, i in PLAN.items() if isinstance(i.check, CommandCheck)]
    outs = await asyncio.gather(
        *(
            cmds.run(
                c.argv, command=None, shell=False, cwd=None, env={}, timeout=60, output_limit=4096
            )
            for c in checks
        )
    )
    for check, out in zip(checks, outs, strict=True):
        values = {"exit_code": out.exit_code, "stdout": out.stdout, "stderr": out.stderr}
        cond = check.condition
        assert cond is not None and cond.evaluate(values), (check.argv, out)
        assert 0.05 <= out.duration <= 0.5


# ---------------------------------------------------------------- scenarios
async def test_bad_release_errors_climb_with_the_canary_weight() -> None:
    w, clock = world("bad-release")
    clock.advance(120)
    assert await num(w, ERROR_RATIO) < 0.001
    w.set_weight(50)
    assert [(at, wt) for at, wt in w.history] == [(w.now(), 50)]
    clock.advance(120)  # a [1m] window fully after the change, as Prometheus would lag
    assert await num(w, ERROR_RATIO) > 0.05
    assert await num(w, PLAN.metric("p95_latency").query) > 0.8
    clock.advance(300)
    assert await num(w, PLAN.metric("payment_success").query) < 0.9
    critical = 'count(ALERTS{alertstate="firing", severity="critical"}) or vector(0)'
    assert await num(w, critical) >= 1
    w.set_weight(0)
    clock.advance(120)
    assert await num(w, ERROR_RATIO) < 0.001


async def test_healthy_release_stays_clean_at_full_weight() -> None:
    w, clock = world("healthy")
    w.set_weight(100)
    clock.advance(600)
    assert await num(w, ERROR_RATIO) < 0.001


async def test_range_queries_see_history_before_a_weight_change() -> None:
    w, clock = world("bad-release")
    clock.advance(600)
    w.set_weight(50)
    clock.advance(600)
    now = w.time()
    result = await DemoMetrics(w).query_range(
        ERROR_RATIO, start=now - 1200, end=now + 600, step=60, timeout=1
    )
    times = [t for t, _ in result.points]
    assert max(times) <= now  # nothing from the future
    assert result.points[0][1] < 0.001 < 0.05 < result.points[-1][1]


async def test_maintenance_mode_takes_the_site_down_and_back() -> None:
    w, clock = world()
    availability = PLAN.metric("availability").query
    assert await value(w, availability) == 1.0
    assert w.perform("maintenance-on").startswith("maintenance mode on")
    clock.advance(30)
    assert await num(w, availability) < 0.01
    async with DemoHttp(w).client(
        verify=True, ca_bundle=None, follow_redirects=False, timeout=5
    ) as c:
        r = await c.get("https://musicconnect.example/")
        assert (r.status_code, r.headers["x-maintenance"]) == (503, "on")
        w.perform("maintenance-off")
        clock.advance(30)
        assert (await c.get("https://musicconnect.example/")).status_code == 200
    assert await value(w, availability) == 1.0
    uptime = 'avg(avg_over_time(probe_success{job="blackbox"}[24h]))'
    # 30 s down in 24 h, averaged exactly (the window splits at the state changes)
    assert await num(w, uptime) == pytest.approx(1 - 30 / 86400)


async def test_effects_fail_when_told_and_unknown_effects_are_not_found() -> None:
    w, clock = world()
    w.fail_next("clear-caches", 2)
    for _ in range(2):
        with pytest.raises(BackendError):
            w.perform("clear-caches")
    w.perform("clear-caches")
    clock.advance(10)
    assert await num(w, "min(cache_warm_ratio)") < 0.5  # cold right after the flush
    clock.advance(1800)
    assert await num(w, "min(cache_warm_ratio)") >= 0.95
    with pytest.raises(BackendError) as err:
        w.perform("launch-rockets")
    assert err.value.kind == "not_found"


# ---------------------------------------------------------------- metrics edge cases
async def test_unknown_series_are_empty_and_bad_queries_are_errors() -> None:
    w, _ = world()
    empty = await DemoMetrics(w).query("sum(rate(nonexistent_total[5m]))", timeout=1)
    assert (empty.value, empty.series) == (None, 0)
    assert await value(w, 'count(ALERTS{severity="critical"})') is None  # no `or vector(0)`
    for bad in ("sum(rate(http_requests_total[5m])", "topk(3, up)", "up[5m]", "rate(up[5m])"):
        with pytest.raises(BackendError) as err:
            await DemoMetrics(w).query(bad, timeout=1)
        assert err.value.kind == "query"
        assert "the demo world has no series for this query" in str(err.value)


async def test_queries_are_parsed_not_matched_as_text() -> None:
    w, clock = world()
    clock.advance(3600)
    spaced = "sum (\n  increase( registrations_total[ 15m ] )\n)"
    assert await value(w, spaced) == await value(w, "sum(increase(registrations_total[15m]))")
    per_region = await DemoMetrics(w).query(
        "sum by (region) (rate(http_requests_total[5m]))", timeout=1
    )
    assert per_region.series == 3 and "region" in per_region.labels
    assert await value(w, "sum(increase(uploads_total[30m]))") is not None


# ---------------------------------------------------------------- network
def _client(w: DemoWorld) -> httpx.AsyncClient:
    return DemoHttp(w).client(verify=True, ca_bundle=None, follow_redirects=False, timeout=5)


async def test_rate_limiter_answers_429_in_a_burst() -> None:
    w, _ = world()
    async with _client(w) as c:
        url = "https://api.musicconnect.example/v1/ping"
        statuses = await asyncio.gather(*(c.get(url) for _ in range(50)))
    codes = [r.status_code for r in statuses]
    assert codes.count(200) >= 20 and codes.count(429) > 0


async def test_waf_blocks_script_tags_and_payments_need_credentials() -> None:
    w, _ = world()
    async with _client(w) as c:
        for url in (
            "https://musicconnect.example/search?q=%3Cscript%3Ealert(1)%3C/script%3E",
            "https://musicconnect.example/search?q=<script>alert(1)</script>",
        ):
            assert (await c.get(url)).status_code == 403
        assert (await c.get("https://musicconnect.example/search?q=jazz")).status_code == 200
        pay = "https://api.musicconnect.example/v1/payments/test"
        assert (await c.post(pay)).status_code == 401
        r = await c.post(
            pay, headers={"Authorization": DEMO_ENV["MUSICCONNECT_PAYMENTS_TEST_TOKEN"]}
        )
        assert r.json() == {"result": "approved", "amount": 100, "currency": "USD", "test": True}


async def test_unknown_hosts_fail_like_unresolvable_names() -> None:
    w, _ = world()
    async with _client(w) as c:
        with pytest.raises(httpx.ConnectError):
            await c.get("https://nowhere.example/")
    with pytest.raises(BackendError) as err:
        await DemoTcp(w).connect("nowhere.example", 443, timeout=1)
    assert err.value.kind == "unreachable"
    with pytest.raises(BackendError):
        await DemoTcp(w).connect("musicconnect.example", 5432, timeout=1)
    assert 0 < await DemoTcp(w).connect("lb.musicconnect.example", 443, timeout=1) < 0.05


async def test_tls_certificate_has_months_left_and_checks_the_name() -> None:
    w, _ = world()
    tls = DemoTls(w)
    cert = await tls.certificate("musicconnect.example", 443, sni=None, ca_bundle=None, timeout=1)
    assert (cert.not_after - w.now()).days > 30 and cert.hostname_ok and cert.chain_ok
    other = await tls.certificate(
        "api.musicconnect.example", 443, sni="shop.other.example", ca_bundle=None, timeout=1
    )
    assert not other.hostname_ok and other.hostname_error


async def test_dns_zone_and_nxdomain() -> None:
    w, _ = world()
    dns = DemoDns(w)

    async def ask(name: str, rdtype: str) -> tuple[str, ...]:
        return (await dns.resolve(name, rdtype, resolver=None, port=53, timeout=1)).values

    assert set(await ask("musicconnect.example", "A")) == {"203.0.113.10", "203.0.113.11"}
    assert await ask("www.musicconnect.example", "CNAME") == ("musicconnect.example.",)
    assert set(await ask("www.musicconnect.example.", "A")) == {"203.0.113.10", "203.0.113.11"}
    for rdtype in ("AAAA", "TXT", "MX", "CAA", "NS"):
        assert await ask("musicconnect.example", rdtype), rdtype
    assert await ask("api.musicconnect.example", "MX") == ()
    with pytest.raises(BackendError) as err:
        await ask("nope.musicconnect.example", "A")
    assert err.value.kind == "not_found"


async def test_flaky_dns_flaps_with_world_time() -> None:
    w, clock = world("flaky-dns")
    dns = DemoDns(w)
    answers = set()
    for _ in range(4):
        r = await dns.resolve("musicconnect.example", "A", resolver=None, port=53, timeout=1)
        answers.add(frozenset(r.values))
        clock.advance(FLAKY_DNS_WINDOW)
    assert answers == {frozenset({"203.0.113.10", "203.0.113.11"}), frozenset({"198.51.100.7"})}
    steady, clock2 = world("healthy")
    for _ in range(4):
        r = await DemoDns(steady).resolve(
            "musicconnect.example", "A", resolver=None, port=53, timeout=1
        )
        assert r.values == ("203.0.113.10", "203.0.113.11")
        clock2.advance(FLAKY_DNS_WINDOW)


# ---------------------------------------------------------------- kubernetes
async def snap(k: DemoKubernetes, ctx: str, **kw: Any) -> ClusterSnapshot:
    opts: dict[str, Any] = {"namespaces": (), "nodes": True, "workloads": True, "pods": True}
    opts |= {"hpas": True, "timeout": 1.0} | kw
    return await k.snapshot(ctx, **opts)


async def test_kubernetes_snapshot_of_three_healthy_regions() -> None:
    w, _ = world()
    k = DemoKubernetes(w)
    assert list(k.contexts) == ["prod-us-east", "prod-eu-west", "prod-ap-south"]
    for ctx in k.contexts:
        s = await snap(k, ctx)
        assert s.context == ctx and len(s.nodes) == 4 and all(n.ready for n in s.nodes)
        names = {(x.kind, x.namespace, x.name) for x in s.workloads}
        assert {("Deployment", "web", "api"), ("StatefulSet", "data", "postgres")} <= names
        assert all(x.available == x.desired for x in s.workloads)
        assert not any(p.crashloop for p in s.pods)
        assert {(h.namespace, h.target_name) for h in s.hpas} == {
            ("web", "api"),
            ("web", "upload-worker"),
        }
    web_only = await snap(k, "prod-us-east", namespaces=["web"], nodes=False, pods=False)
    assert web_only.nodes == () and web_only.pods == ()
    assert {x.namespace for x in web_only.workloads} == {"web"}
    with pytest.raises(BackendError):
        await snap(k, "prod-mars")
    await k.close()


async def test_bad_release_canary_crashloops_in_eu_west() -> None:
    w, _ = world("bad-release")
    k = DemoKubernetes(w)
    w.set_weight(5)
    assert not any(p.crashloop for p in (await snap(k, "prod-eu-west")).pods)
    w.set_weight(25)
    eu = await snap(k, "prod-eu-west")
    crashing = [p for p in eu.pods if p.crashloop]
    assert len(crashing) == 1 and crashing[0].name.startswith("api-canary-")
    canary = next(x for x in eu.workloads if x.name == "api-canary")
    assert canary.available == canary.desired - 1
    assert not any(p.crashloop for p in (await snap(k, "prod-us-east")).pods)


# ---------------------------------------------------------------- commands and assembly
async def test_commands_and_unknown_programs() -> None:
    w, _ = world()
    cmds = DemoCommands(w)
    kw: dict[str, Any] = {"command": None, "shell": False, "cwd": None, "env": {}}
    out = await cmds.run(["./scripts/migrate.sh", "--status"], timeout=5, output_limit=4096, **kw)
    assert out.exit_code == 0 and "schema up to date" in out.stdout
    again = await cmds.run(["./scripts/migrate.sh", "--status"], timeout=5, output_limit=4096, **kw)
    assert again.duration == out.duration  # deterministic
    short = await cmds.run(["make", "test-all"], timeout=5, output_limit=10, **kw)
    assert len(short.stdout) == 10
    timed_out = await cmds.run(["make", "test-all"], timeout=0.01, output_limit=10, **kw)
    assert timed_out.timed_out and timed_out.exit_code is None
    with pytest.raises(BackendError) as err:
        await cmds.run(["rm", "-rf", "/"], timeout=5, output_limit=10, **kw)
    assert err.value.kind == "not_found"


async def test_the_whole_world_runs_without_a_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the demo world tried to use the network")

    for name in ("getaddrinfo", "create_connection"):
        monkeypatch.setattr(socket, name, refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    w, _ = world()
    b = demo_backends(w, env={})
    async with b.http.client(verify=True, ca_bundle=None, follow_redirects=True, timeout=5) as c:
        assert (await c.get("http://www.musicconnect.example/")).status_code == 200
    await b.tls.certificate("musicconnect.example", 443, sni=None, ca_bundle=None, timeout=1)
    await b.dns.resolve("musicconnect.example", "A", resolver="8.8.8.8", port=53, timeout=1)
    await b.tcp.connect("api.musicconnect.example", 443, timeout=1)
    assert b.metrics is not None and b.kubernetes is not None
    await b.metrics.query("sum(rate(http_requests_total[1m]))", timeout=1)
    await b.kubernetes.snapshot(
        "prod-ap-south", namespaces=(), nodes=True, workloads=True, pods=True, hpas=True, timeout=1
    )
    await b.close()


def test_make_world_and_backends() -> None:
    w = make_world(DemoConfig(scenario="bad-release", seed=3, speed=60.0), T0)
    assert isinstance(w.clock, ScaledClock) and w.clock.speed == 60.0
    assert T0 - timedelta(minutes=16) < w.now() < T0
    assert (w.scenario, w.seed) == ("bad-release", 3)
    b = demo_backends(w, env={"OTHER": "x"})
    assert b.env["MUSICCONNECT_PAYMENTS_TEST_TOKEN"] == "demo-token" and b.env["OTHER"] == "x"
    assert b.metrics is not None and b.kubernetes is not None
    with pytest.raises(ValueError):
        DemoWorld("on-fire", clock=FrozenClock(T0), t0=T0)
    with pytest.raises(ValueError):
        w.set_weight(101)


async def test_changes_at_one_frozen_instant_keep_the_last_value() -> None:
    w, _ = world("bad-release")
    w.set_weight(50)
    w.set_weight(0)
    assert w.weight == w.weight_at(w.time()) == 0
    assert [wt for _, wt in w.history] == [50, 0]
    assert not any(p.crashloop for p in (await snap(DemoKubernetes(w), "prod-eu-west")).pods)
