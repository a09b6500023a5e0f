"""Prometheus checks against a real Prometheus (tests/fixtures/prometheus.py) scraping a test
exporter whose error ratio the tests change at run time."""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import socket
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tminus.backends.base import BackendError, Backends
from tminus.backends.prometheus import PrometheusMetrics
from tminus.checks.base import CheckContext
from tminus.checks.prometheus import run_prometheus
from tminus.core.conditions import Condition
from tminus.core.redact import scrub
from tminus.core.results import CheckResult, Outcome
from tminus.plan.checkspecs import PrometheusCheck
from tminus.plan.model import PrometheusConfig

from fixtures.certs import CertFactory
from fixtures.http_server import HTTPTestServer
from fixtures.prometheus import PrometheusServer, free_port

ERROR_RATIO = 'sum(rate(http_requests_total{code="500"}[5s])) / sum(rate(http_requests_total[5s]))'
REQUESTS_5S = "sum(increase(http_requests_total[5s]))"


class Unused:
    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"a prometheus check used another backend ({name})")


def backends(metrics: PrometheusMetrics | None) -> Backends:
    return Backends(
        http=Unused(),  # type: ignore[arg-type]
        tls=Unused(),  # type: ignore[arg-type]
        dns=Unused(),  # type: ignore[arg-type]
        tcp=Unused(),  # type: ignore[arg-type]
        commands=Unused(),  # type: ignore[arg-type]
        metrics=metrics,
    )


def metrics_for(url: str, env: dict[str, str] | None = None, **kw: Any) -> PrometheusMetrics:
    return PrometheusMetrics(PrometheusConfig(url=url, **kw), env or {})


async def run(
    metrics: PrometheusMetrics | None, spec: PrometheusCheck, timeout: float = 5.0
) -> CheckResult:
    async with asyncio.timeout(timeout + 10):
        return await run_prometheus(spec, CheckContext(backends=backends(metrics), timeout=timeout))


def check(query: str, expect: str, **kw: Any) -> PrometheusCheck:
    return PrometheusCheck(kind="prometheus", query=query, expect=Condition.parse(expect), **kw)


async def poll(
    fn: Callable[[], Awaitable[CheckResult]],
    done: Callable[[CheckResult], bool],
    deadline_s: float = 20.0,
) -> CheckResult:
    """Run the check until `done` holds: rate() windows and scrapes lag by a few seconds."""
    deadline = time.monotonic() + deadline_s
    while True:
        result = await fn()
        if done(result) or time.monotonic() > deadline:
            return result
        await asyncio.sleep(0.25)


@pytest.fixture
async def metrics(prometheus: PrometheusServer) -> AsyncIterator[PrometheusMetrics]:
    m = metrics_for(prometheus.url)
    yield m
    await m.close()


@pytest.fixture
def closed_port() -> int:
    return free_port()  # bound, then released: nothing listens there


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (kernel backlog) but never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield sock.getsockname()[1]


# ---------------------------------------------------------------- values
async def test_error_ratio_passes_then_fails(
    metrics: PrometheusMetrics, prometheus: PrometheusServer
) -> None:
    spec = check(ERROR_RATIO, "value < 0.01")
    r = await poll(lambda: run(metrics, spec), lambda r: r.outcome is Outcome.PASS)
    assert r.outcome is Outcome.PASS, r.message
    assert r.value == pytest.approx(0.0, abs=0.01)
    assert r.values["value"] == r.value

    prometheus.exporter.set_error_ratio(0.2)
    r = await poll(
        lambda: run(metrics, spec),
        lambda r: r.outcome is Outcome.FAIL and abs(r.value - 0.2) < 0.03,
    )
    assert r.outcome is Outcome.FAIL, r.message
    assert r.value == pytest.approx(0.2, abs=0.03)
    assert "expected value < 0.01" in r.message


async def test_empty_result_is_inconclusive(metrics: PrometheusMetrics) -> None:
    r = await run(metrics, check('http_requests_total{code="418"}', "value < 1"))
    assert r.outcome is Outcome.INCONCLUSIVE
    assert r.message == "no data: query returned an empty result"
    assert r.value is None


async def test_nan_is_inconclusive_not_a_verdict(metrics: PrometheusMetrics) -> None:
    r = await run(metrics, check("vector(0) / vector(0)", "value < 0.01"))
    assert r.outcome is Outcome.INCONCLUSIVE
    assert "NaN" in r.message


async def test_bad_promql_is_an_error_with_prometheus_message(metrics: PrometheusMetrics) -> None:
    r = await run(metrics, check("sum(rate(http_requests_total[5s])", "value < 1"))
    assert r.outcome is Outcome.ERROR
    assert r.message.startswith("query: ")
    assert "parse error" in r.message  # Prometheus's own words, e.g. "1:34: parse error: ..."


async def test_low_sample_guard(metrics: PrometheusMetrics) -> None:
    guarded = check(
        ERROR_RATIO, "value < 0.5", min_samples_query=REQUESTS_5S, min_samples=1_000_000
    )
    r = await run(metrics, guarded)
    assert r.outcome is Outcome.INCONCLUSIVE
    assert r.message.startswith("only ") and r.message.endswith(" samples (min 1e+06)")
    assert 0 < r.values["samples"] < 1_000_000

    enough = check(ERROR_RATIO, "value < 0.5", min_samples_query=REQUESTS_5S, min_samples=10)
    r = await poll(lambda: run(metrics, enough), lambda r: r.outcome is Outcome.PASS)
    assert r.outcome is Outcome.PASS, r.message
    assert r.values["samples"] >= 10


async def test_samples_query_without_data_is_inconclusive(metrics: PrometheusMetrics) -> None:
    spec = check(ERROR_RATIO, "value < 0.5", min_samples_query="absent_metric_xyz", min_samples=1)
    r = await run(metrics, spec)
    assert r.outcome is Outcome.INCONCLUSIVE
    assert r.message == "only 0 samples (min 1)"


async def test_samples_are_readable_by_the_condition(metrics: PrometheusMetrics) -> None:
    spec = check(ERROR_RATIO, "samples > 10 and value < 0.5", min_samples_query=REQUESTS_5S)
    r = await poll(lambda: run(metrics, spec), lambda r: r.outcome is Outcome.PASS)
    assert r.outcome is Outcome.PASS, r.message


async def test_no_backend_configured() -> None:
    r = await run(None, check("up", "value == 1"))
    assert r.outcome is Outcome.ERROR
    assert r.message == "no Prometheus backend configured"


# ---------------------------------------------------------------- unreachable and slow
async def test_unreachable_prometheus_is_an_error(closed_port: int) -> None:
    m = metrics_for(f"http://127.0.0.1:{closed_port}")
    started = time.monotonic()
    r = await run(m, check("up", "value == 1"))
    await m.close()
    assert r.outcome is Outcome.ERROR
    assert r.message.startswith("unreachable: ")
    assert "Connection refused" in r.message
    assert time.monotonic() - started < 2  # no client-side retries with backoff


async def test_stopped_prometheus_is_unreachable_then_recovers(
    metrics: PrometheusMetrics, prometheus: PrometheusServer
) -> None:
    spec = check("sum(up)", "value >= 1")
    prometheus.stop()
    try:
        r = await run(metrics, spec)
        assert r.outcome is Outcome.ERROR
        assert r.message.startswith("unreachable: ")
    finally:
        prometheus.start()  # the autouse fixture would too; later tests need it now
    r = await poll(lambda: run(metrics, spec), lambda r: r.outcome is Outcome.PASS)
    assert r.outcome is Outcome.PASS, r.message


async def test_silent_server_times_out(silent_port: int) -> None:
    m = metrics_for(f"http://127.0.0.1:{silent_port}")
    started = time.monotonic()
    r = await run(m, check("up", "value == 1"), timeout=1.0)
    await m.close()
    assert r.outcome is Outcome.ERROR
    assert r.message.startswith("timeout: ")
    assert time.monotonic() - started < 10  # the server never answers: the timeout ended it


# ---------------------------------------------------------------- the backend itself
async def test_backend_vector_scalar_and_special_values(metrics: PrometheusMetrics) -> None:
    several = await metrics.query("http_requests_total", timeout=5)
    assert several.series == 2
    assert several.labels["__name__"] == "http_requests_total"
    assert several.labels["code"] in ("200", "500")
    assert several.value is not None and several.value >= 0

    scalar = await metrics.query("time()", timeout=5)
    assert scalar.series == 1
    assert scalar.value == pytest.approx(time.time(), abs=5)

    nan = await metrics.query("0 / 0", timeout=5)
    assert nan.value is not None and math.isnan(nan.value)
    inf = await metrics.query("-1 / 0", timeout=5)
    assert inf.value == -math.inf

    empty = await metrics.query("nonexistent_metric_xyz", timeout=5)
    assert (empty.value, empty.series) == (None, 0)


async def test_backend_range_vector_is_a_query_error(metrics: PrometheusMetrics) -> None:
    with pytest.raises(BackendError) as info:
        await metrics.query("http_requests_total[5s]", timeout=5)
    assert info.value.kind == "query"


async def test_query_range_returns_points(metrics: PrometheusMetrics) -> None:
    end = time.time()
    r = await metrics.query_range(
        "sum(http_requests_total)", start=end - 10, end=end, step=1, timeout=5
    )
    assert len(r.points) >= 3
    times = [t for t, _ in r.points]
    assert times == sorted(times)
    assert all(b - a == pytest.approx(1.0) for a, b in itertools.pairwise(times))
    values = [v for _, v in r.points]
    assert values == sorted(values)  # a counter only grows

    none = await metrics.query_range(
        "nonexistent_metric_xyz", start=end - 10, end=end, step=1, timeout=5
    )
    assert none.points == ()


async def test_concurrent_queries_do_not_block_the_loop(metrics: PrometheusMetrics) -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    task = asyncio.create_task(ticker())
    try:
        results = await asyncio.gather(
            *(metrics.query("sum(http_requests_total)", timeout=5) for _ in range(10))
        )
    finally:
        task.cancel()
    assert all(r.value is not None for r in results)
    assert ticks > 1


# ---------------------------------------------------------------- auth, headers, TLS
class _StubPrometheus(BaseHTTPRequestHandler):
    """Just enough of the query API to see which headers arrive (Prometheus has no auth)."""

    seen: list[dict[str, str]]
    status = 200
    html = False  # answer 200 with a login page, as an auth proxy might

    def do_GET(self) -> None:
        self.seen.append({k.lower(): v for k, v in self.headers.items()})
        if self.html:
            raw = b"<html><body>Please log in</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)
            return
        if self.status == 200:
            body = {
                "status": "success",
                "data": {"resultType": "vector", "result": [{"metric": {}, "value": [0, "1"]}]},
            }
        else:
            body = {"status": "error", "errorType": "unauthorized", "error": "who are you"}
        raw = json.dumps(body).encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def stub() -> Iterator[tuple[str, type[_StubPrometheus]]]:
    handler = type("Handler", (_StubPrometheus,), {"seen": [], "status": 200, "html": False})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


async def test_bearer_token_and_tenant_headers(stub: tuple[str, Any]) -> None:
    url, handler = stub
    token = "prom-bearer-s3cret"
    m = metrics_for(
        url,
        {"PROM_TOKEN": token, "TENANT": "team-a"},
        token_env="PROM_TOKEN",
        headers={"X-Static": "yes"},
        headers_env={"X-Scope-OrgID": "TENANT"},
    )
    r = await m.query("up", timeout=5)
    await m.close()
    assert r.value == 1.0
    seen = handler.seen[-1]
    assert seen["authorization"] == f"Bearer {token}"
    assert seen["x-scope-orgid"] == "team-a"
    assert seen["x-static"] == "yes"
    assert token not in scrub(f"header was Bearer {token}")  # registered as a secret


async def test_basic_auth(stub: tuple[str, Any]) -> None:
    url, handler = stub
    m = metrics_for(url, {"U": "launch", "P": "pa55-word"}, username_env="U", password_env="P")
    await m.query("up", timeout=5)
    await m.close()
    assert handler.seen[-1]["authorization"] == "Basic bGF1bmNoOnBhNTUtd29yZA=="


@pytest.mark.parametrize("status", [401, 403])
async def test_rejected_credentials_are_auth_errors(stub: tuple[str, Any], status: int) -> None:
    url, handler = stub
    handler.status = status
    m = metrics_for(url)
    r = await run(m, check("up", "value == 1"))
    await m.close()
    assert r.outcome is Outcome.ERROR
    assert r.message.startswith(f"auth: HTTP {status}")
    assert "who are you" in r.message


async def test_non_api_answer_is_a_protocol_error(stub: tuple[str, Any]) -> None:
    url, handler = stub
    handler.html = True
    m = metrics_for(url)
    r = await run(m, check("up", "value == 1"))
    await m.close()
    assert r.outcome is Outcome.ERROR
    assert r.message.startswith("protocol: ") and "Prometheus API" in r.message


async def test_missing_token_variable_is_an_auth_error(stub: tuple[str, Any]) -> None:
    url, handler = stub
    m = metrics_for(url, {}, token_env="PROM_TOKEN_NOT_SET")
    r = await run(m, check("up", "value == 1"))
    await m.close()
    assert r.outcome is Outcome.ERROR
    assert "PROM_TOKEN_NOT_SET" in r.message
    assert handler.seen == []  # nothing sent without the credentials


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
async def test_tls_ca_bundle(certs: CertFactory) -> None:
    # A TLS server that is not Prometheus: a 404 proves the handshake went through.
    with HTTPTestServer(tls=certs.issue(["127.0.0.1"], days=30)) as server:
        untrusted = metrics_for(server.url)
        trusted = metrics_for(server.url, ca_bundle=str(certs.ca.cert_path))
        unverified = metrics_for(server.url, verify=False)
        try:
            with pytest.raises(BackendError) as info:
                await untrusted.query("up", timeout=5)
            assert info.value.kind == "unreachable" and "TLS" in str(info.value)
            for m in (trusted, unverified):
                with pytest.raises(BackendError) as info:
                    await m.query("up", timeout=5)
                assert info.value.kind == "not_found"
        finally:
            for m in (untrusted, trusted, unverified):
                await m.close()
