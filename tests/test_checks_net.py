"""HTTP, TLS, DNS and TCP checks against the real loopback servers in tests/fixtures."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import dns.rcode
import pytest

from tminus.backends.base import Backends, CommandOutput
from tminus.backends.net import RealDns, RealHttp, RealTcp, RealTls
from tminus.checks.base import CheckContext
from tminus.checks.dns import run_dns
from tminus.checks.http import run_http
from tminus.checks.tcp import run_tcp
from tminus.checks.tls import run_tls
from tminus.core.conditions import Condition
from tminus.core.results import CheckResult, Outcome
from tminus.plan.checkspecs import CheckSpec, DnsCheck, HttpCheck, TcpCheck, TlsCheck

from fixtures.certs import CertFactory
from fixtures.dns_server import DNSTestServer
from fixtures.http_server import HTTPTestServer
from fixtures.tls_server import TLSTestServer

SECRET = "s3cret-launch-token"


class NoCommands:
    """Network checks never run commands; Backends still wants one."""

    async def run(
        self,
        argv: Sequence[str] | None,
        *,
        command: str | None,
        shell: bool,
        cwd: str | None,
        env: Mapping[str, str],
        timeout: float,
        output_limit: int,
    ) -> CommandOutput:
        raise AssertionError("a network check ran a command")


@pytest.fixture
async def backends() -> AsyncIterator[Backends]:
    http = RealHttp()
    yield Backends(
        http=http,
        tls=RealTls(),
        dns=RealDns(),
        tcp=RealTcp(),
        commands=NoCommands(),
        env={"LAUNCH_TOKEN": SECRET, "EMPTY_VAR": ""},
    )
    await http.aclose()


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on (bound then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def cond(text: str) -> Condition:
    return Condition.parse(text)


async def run(
    check: Callable[[Any, CheckContext], Awaitable[CheckResult]],
    spec: CheckSpec,
    b: Backends,
    timeout: float = 5.0,
) -> CheckResult:
    # The engine's runner enforces spec timeouts; here a generous guard keeps a hung
    # check from hanging the test.
    async with asyncio.timeout(timeout + 5):
        return await check(spec, CheckContext(backends=b, timeout=timeout))


# ---------------------------------------------------------------- HTTP
async def test_http_status_pass(http_server: HTTPTestServer, backends: Backends) -> None:
    r = await run(run_http, HttpCheck(kind="http", url=f"{http_server.url}/health"), backends)
    assert r.outcome is Outcome.PASS, r.message
    assert r.value == 200
    assert r.values["status"] == 200 and r.values["count"] == 1
    assert 0 < r.values["response_time"] < 2
    assert r.message.startswith("200 in ") and r.message.endswith(" ms")
    assert http_server.count("/health") == 1


async def test_http_status_fail(http_server: HTTPTestServer, backends: Backends) -> None:
    spec = HttpCheck(kind="http", url=f"{http_server.url}/status/503")
    r = await run(run_http, spec, backends)
    assert r.outcome is Outcome.FAIL
    assert r.value == 503
    assert "expected status == 200" in r.message


async def test_http_json_field(http_server: HTTPTestServer, backends: Backends) -> None:
    spec = HttpCheck(
        kind="http",
        url=f"{http_server.url}/health",
        expect=cond('status == 200 and body.status == "UP" and body.version == "1.2.3"'),
    )
    r = await run(run_http, spec, backends)
    assert r.outcome is Outcome.PASS, r.message
    assert r.values["body"] == {"status": "UP", "version": "1.2.3"}

    http_server.health = {"status": "DOWN", "version": "1.2.3"}
    r = await run(run_http, spec, backends)
    assert r.outcome is Outcome.FAIL
    assert r.values["body"]["status"] == "DOWN"

    # a field the body does not have fails the check (it does not crash it)
    http_server.health = {"version": "1.2.3"}
    r = await run(run_http, spec, backends)
    assert r.outcome is Outcome.FAIL
    assert "body.status is missing" in r.message


async def test_http_text_body_reads_as_missing_json(
    http_server: HTTPTestServer, backends: Backends
) -> None:
    # /status/400 answers "status code must be..." as text/plain
    spec = HttpCheck(
        kind="http",
        url=f"{http_server.url}/status/abc",
        expect=cond('status == 400 and text contains "integer"'),
    )
    r = await run(run_http, spec, backends)
    assert r.outcome is Outcome.PASS, r.message
    assert r.values["body"] == {}
    spec = HttpCheck(kind="http", url=spec.url, expect=cond('body.error == "x"'))
    r = await run(run_http, spec, backends)
    assert r.outcome is Outcome.FAIL and "body.error is missing" in r.message


async def test_http_header_condition(http_server: HTTPTestServer, backends: Backends) -> None:
    expect = cond('headers.x-cache == "HIT" and headers.age == 42')
    r = await run(
        run_http, HttpCheck(kind="http", url=f"{http_server.url}/cdn", expect=expect), backends
    )
    assert r.outcome is Outcome.PASS, r.message
    assert r.values["headers"]["x-cache"] == "HIT"  # keys are lowercased

    r = await run(
        run_http, HttpCheck(kind="http", url=f"{http_server.url}/health", expect=expect), backends
    )
    assert r.outcome is Outcome.FAIL
    assert "headers.x-cache is missing" in r.message


async def test_http_replies_share_their_repeated_header_strings(
    http_server: HTTPTestServer, backends: Backends
) -> None:
    # a run keeps every result: 10,000 replies must not hold 10,000 copies of "x-cache"
    spec = HttpCheck(kind="http", url=f"{http_server.url}/cdn")
    first, second = [(await run(run_http, spec, backends)).values["headers"] for _ in range(2)]
    (name_1,) = (k for k in first if k == "x-cache")
    (name_2,) = (k for k in second if k == "x-cache")
    assert name_1 is name_2
    assert first["x-cache"] is second["x-cache"]


async def test_http_slow_endpoint_times_out(
    http_server: HTTPTestServer, backends: Backends
) -> None:
    spec = HttpCheck(kind="http", url=f"{http_server.url}/slow?ms=3000")
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    r = await run(run_http, spec, backends, timeout=0.5)
    assert loop.time() - t0 < 1.5
    assert r.outcome is Outcome.ERROR
    assert r.message.startswith("timeout:") and "0.5s" in r.message


async def test_http_refused_is_error(closed_port: int, backends: Backends) -> None:
    r = await run(
        run_http, HttpCheck(kind="http", url=f"http://127.0.0.1:{closed_port}/"), backends
    )
    assert r.outcome is Outcome.ERROR
    assert r.message == f"unreachable: connection refused to 127.0.0.1:{closed_port}"


async def test_http_burst_rate_limited_passes(
    http_server: HTTPTestServer, backends: Backends
) -> None:
    spec = HttpCheck(kind="http", url=f"{http_server.url}/limited", burst=40)
    r = await run(run_http, spec, backends)
    assert r.outcome is Outcome.PASS, r.message  # default condition: rate_limited > 0
    assert r.values["count"] == 40
    assert r.values["rate_limited"] > 0
    assert r.value == r.values["rate_limited"]
    statuses = r.values["statuses"]
    assert set(statuses) == {"200", "429"}
    assert sum(statuses.values()) == 40 and statuses["429"] == r.values["rate_limited"]
    assert r.values["status"] in (200, 429)
    assert http_server.count("/limited") == 40


async def test_http_burst_is_bounded(http_server: HTTPTestServer, backends: Backends) -> None:
    spec = HttpCheck(
        kind="http", url=f"{http_server.url}/slow?ms=150", burst=40, expect=cond("count == 40")
    )
    r = await run(run_http, spec, backends)
    assert r.outcome is Outcome.PASS, r.message
    assert r.values["statuses"] == {"200": 40}
    assert r.values["response_time"] >= 0.15  # the slowest request
    assert 10 <= http_server.max_in_flight <= 20  # concurrent, but at most 20 at a time


async def test_http_burst_unlimited_fails(http_server: HTTPTestServer, backends: Backends) -> None:
    spec = HttpCheck(kind="http", url=f"{http_server.url}/health", burst=30)
    r = await run(run_http, spec, backends)
    assert r.outcome is Outcome.FAIL
    assert r.value == 0
    assert r.values["statuses"] == {"200": 30}
    assert "expected rate_limited > 0" in r.message
    assert http_server.count("/health") == 30


async def test_http_headers_env_secret_reaches_server(
    http_server: HTTPTestServer, backends: Backends
) -> None:
    spec = HttpCheck(
        kind="http",
        url=f"{http_server.url}/echo",
        headers={"X-Launch": "t-minus"},
        headers_env={"Authorization": "LAUNCH_TOKEN"},
        expect=cond(f'body.headers.authorization == "{SECRET}"'),
    )
    r = await run(run_http, spec, backends)
    assert r.outcome is Outcome.PASS, r.message
    seen = r.values["body"]["headers"]  # what the server received
    assert seen["authorization"] == SECRET
    assert seen["x-launch"] == "t-minus"


@pytest.mark.parametrize(
    ("var", "state"), [("MISSING_TOKEN", "is not set"), ("EMPTY_VAR", "is empty")]
)
async def test_http_missing_env_var_is_error(
    http_server: HTTPTestServer, backends: Backends, var: str, state: str
) -> None:
    spec = HttpCheck(kind="http", url=f"{http_server.url}/echo", headers_env={"Authorization": var})
    r = await run(run_http, spec, backends)
    assert r.outcome is Outcome.ERROR
    assert var in r.message and state in r.message
    assert http_server.count("/echo") == 0  # nothing was sent without the secret


async def test_http_post_json(http_server: HTTPTestServer, backends: Backends) -> None:
    spec = HttpCheck(
        kind="http",
        url=f"{http_server.url}/echo",
        method="POST",
        json={"launch": "go"},
        expect=cond('body.method == "POST" and body.body contains "launch"'),
    )
    r = await run(run_http, spec, backends)
    assert r.outcome is Outcome.PASS, r.message


async def test_http_redirects(http_server: HTTPTestServer, backends: Backends) -> None:
    url = f"{http_server.url}/status/302"
    r = await run(run_http, HttpCheck(kind="http", url=url), backends)
    assert r.outcome is Outcome.FAIL and r.value == 302
    r = await run(run_http, HttpCheck(kind="http", url=url, follow_redirects=True), backends)
    assert r.outcome is Outcome.PASS and r.value == 200
    assert http_server.count("/health") == 1


async def test_https_ca_bundle(
    https_server: HTTPTestServer, certs: CertFactory, backends: Backends
) -> None:
    url = f"{https_server.url}/health"
    trusted = HttpCheck(kind="http", url=url, ca_bundle=str(certs.ca.cert_path))
    r = await run(run_http, trusted, backends)
    assert r.outcome is Outcome.PASS, r.message

    r = await run(run_http, HttpCheck(kind="http", url=url), backends)  # system CAs only
    assert r.outcome is Outcome.ERROR
    assert "not trusted" in r.message

    r = await run(run_http, HttpCheck(kind="http", url=url, verify=False), backends)
    assert r.outcome is Outcome.PASS, r.message


async def test_missing_ca_bundle_is_error(
    https_server: HTTPTestServer, tmp_path: Path, backends: Backends
) -> None:
    bundle = str(tmp_path / "no-such-ca.pem")
    r = await run(
        run_http, HttpCheck(kind="http", url=https_server.url, ca_bundle=bundle), backends
    )
    assert r.outcome is Outcome.ERROR and bundle in r.message
    host, port = "127.0.0.1", https_server.port
    spec = TlsCheck(kind="tls", host=host, port=port, ca_bundle=bundle)
    r = await run(run_tls, spec, backends)
    assert r.outcome is Outcome.ERROR and r.message.startswith("query:") and bundle in r.message


async def test_http_sessions_are_reused(backends: Backends) -> None:
    http = backends.http
    assert isinstance(http, RealHttp)
    a = http.session(verify=True, ca_bundle=None)
    assert http.session(verify=True, ca_bundle=None) is a
    assert http.session(verify=False, ca_bundle=None) is not a


async def test_http_sends_headers_and_bodies_as_given(
    http_server: HTTPTestServer, backends: Backends
) -> None:
    """A body goes out as written, with no Content-Type the plan did not ask for."""
    url = f"{http_server.url}/echo"
    spec = HttpCheck(kind="http", url=url, method="POST", body="plain words", headers={"X-A": "1"})
    r = await run(run_http, spec, backends)
    assert r.outcome is Outcome.PASS, r.message
    echoed = r.values["body"]
    assert echoed["body"] == "plain words" and echoed["headers"]["x-a"] == "1"
    assert "content-type" not in echoed["headers"]
    assert echoed["headers"]["user-agent"].startswith("tminus/")


# ---------------------------------------------------------------- TLS
def tls_spec(server: TLSTestServer, certs: CertFactory, **kw: Any) -> TlsCheck:
    host, port = server.address
    return TlsCheck(kind="tls", host=host, port=port, ca_bundle=str(certs.ca.cert_path), **kw)


@pytest.mark.parametrize(("days", "outcome"), [(10, Outcome.FAIL), (60, Outcome.PASS)])
async def test_tls_days_left(
    certs: CertFactory,
    tls_servers: Callable[..., TLSTestServer],
    backends: Backends,
    days: int,
    outcome: Outcome,
) -> None:
    leaf = certs.issue(["127.0.0.1", "localhost"], days=days)
    server = tls_servers(leaf)
    r = await run(run_tls, tls_spec(server, certs), backends)
    assert r.outcome is outcome, r.message
    assert r.value == pytest.approx(days, abs=0.1)
    assert r.values["chain_ok"] is True and r.values["hostname_ok"] is True
    assert r.values["not_after"] == leaf.not_after.isoformat()
    assert "tminus test CA" in r.values["issuer"]
    assert r.values["subject"] == "CN=127.0.0.1"
    assert r.message.startswith(f"expires {leaf.not_after:%Y-%m-%d} (")
    if outcome is Outcome.FAIL:
        assert "expected days_left > 30" in r.message


async def test_tls_wrong_hostname_fails(
    certs: CertFactory, tls_servers: Callable[..., TLSTestServer], backends: Backends
) -> None:
    server = tls_servers(certs.issue(["api.musicconnect.example"], days=60))
    # by name (SNI) and by address: both are not what the certificate names
    for kw in ({"sni": "www.musicconnect.example"}, {}):
        r = await run(run_tls, tls_spec(server, certs, **kw), backends)
        assert r.outcome is Outcome.FAIL, r.message
        assert "hostname" in r.message.lower()
        assert r.values["hostname_ok"] is False and r.values["chain_ok"] is True
    assert server.sni_names[0] == "www.musicconnect.example"

    r = await run(run_tls, tls_spec(server, certs, sni="api.musicconnect.example"), backends)
    assert r.outcome is Outcome.PASS, r.message


async def test_tls_sni_picks_certificate(
    certs: CertFactory, tls_servers: Callable[..., TLSTestServer], backends: Backends
) -> None:
    default = certs.issue(["127.0.0.1"], days=60)
    api = certs.issue(["api.musicconnect.example"], days=10)
    server = tls_servers(default, sni_certs={"api.musicconnect.example": api})
    r = await run(run_tls, tls_spec(server, certs, sni="api.musicconnect.example"), backends)
    assert r.outcome is Outcome.FAIL  # the 10-day certificate, not the default one
    assert r.value == pytest.approx(10, abs=0.1)
    assert r.values["hostname_ok"] is True


async def test_tls_untrusted_ca_fails(
    certs: CertFactory, tls_servers: Callable[..., TLSTestServer], backends: Backends
) -> None:
    rogue = certs.make_ca("rogue CA")
    server = tls_servers(rogue.issue(certs.tmpdir, ["127.0.0.1"], days=90))
    r = await run(run_tls, tls_spec(server, certs), backends)
    assert r.outcome is Outcome.FAIL
    assert "chain" in r.message and "hostname" not in r.message
    assert r.values["chain_ok"] is False and r.values["hostname_ok"] is True
    assert r.value == pytest.approx(90, abs=0.1)  # the dates are still read
    assert "rogue CA" in r.values["issuer"]

    # verify = false: only the dates matter
    r = await run(run_tls, tls_spec(server, certs, verify=False), backends)
    assert r.outcome is Outcome.PASS, r.message
    assert r.values["chain_ok"] is False


async def test_tls_untrusted_and_wrong_name(
    certs: CertFactory, tls_servers: Callable[..., TLSTestServer], backends: Backends
) -> None:
    rogue = certs.make_ca("rogue CA")
    server = tls_servers(rogue.issue(certs.tmpdir, ["other.example"], days=90))
    r = await run(run_tls, tls_spec(server, certs, sni="api.musicconnect.example"), backends)
    assert r.outcome is Outcome.FAIL
    assert "chain" in r.message and "hostname" in r.message
    assert r.values["chain_ok"] is False and r.values["hostname_ok"] is False


async def test_tls_expired_fails(
    certs: CertFactory, tls_servers: Callable[..., TLSTestServer], backends: Backends
) -> None:
    server = tls_servers(certs.issue(["127.0.0.1"], days=-2), mode="close")
    r = await run(run_tls, tls_spec(server, certs), backends)
    assert r.outcome is Outcome.FAIL
    assert "expired" in r.message
    assert r.value == pytest.approx(-2, abs=0.1)
    assert r.values["chain_ok"] is False


async def test_tls_closed_port_is_error(
    certs: CertFactory, closed_port: int, backends: Backends
) -> None:
    spec = TlsCheck(kind="tls", host="127.0.0.1", port=closed_port)
    r = await run(run_tls, spec, backends)
    assert r.outcome is Outcome.ERROR
    assert r.message == f"unreachable: connection refused by 127.0.0.1:{closed_port}"


async def test_tls_handshake_timeout_is_error(backends: Backends) -> None:
    # a listener that accepts but never speaks TLS
    accepted: list[asyncio.StreamWriter] = []
    server = await asyncio.start_server(lambda _r, w: accepted.append(w), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        r = await run(run_tls, TlsCheck(kind="tls", host="127.0.0.1", port=port), backends, 0.5)
    finally:
        for writer in accepted:
            writer.close()
        server.close()
        await server.wait_closed()
    assert r.outcome is Outcome.ERROR
    assert r.message.startswith("timeout:") and f"127.0.0.1:{port}" in r.message


# ---------------------------------------------------------------- DNS
def dns_spec(server: DNSTestServer, name: str, rdtype: str = "A", **kw: Any) -> DnsCheck:
    return DnsCheck(
        kind="dns", name=name, type=rdtype, resolver=server.host, port=server.port, **kw
    )


async def test_dns_a_values_match(dns_server: DNSTestServer, backends: Backends) -> None:
    spec = dns_spec(dns_server, "musicconnect.example", values=("127.0.0.11", "127.0.0.10"))
    r = await run(run_dns, spec, backends)
    assert r.outcome is Outcome.PASS, r.message
    assert sorted(r.values["answers"]) == ["127.0.0.10", "127.0.0.11"]
    assert r.values["count"] == 2 and r.values["ttl"] == 60


async def test_dns_a_mismatch_lists_differences(
    dns_server: DNSTestServer, backends: Backends
) -> None:
    spec = dns_spec(dns_server, "musicconnect.example", values=("127.0.0.10", "127.0.0.12"))
    r = await run(run_dns, spec, backends)
    assert r.outcome is Outcome.FAIL
    assert "missing 127.0.0.12" in r.message
    assert "unexpected 127.0.0.11" in r.message


async def test_dns_values_then_expect(dns_server: DNSTestServer, backends: Backends) -> None:
    values = ("127.0.0.10", "127.0.0.11")
    r = await run(
        run_dns,
        dns_spec(dns_server, "musicconnect.example", values=values, expect=cond("ttl >= 300")),
        backends,
    )
    assert r.outcome is Outcome.FAIL and "expected ttl >= 300" in r.message
    r = await run(
        run_dns,
        dns_spec(dns_server, "musicconnect.example", values=values, expect=cond("ttl <= 60")),
        backends,
    )
    assert r.outcome is Outcome.PASS, r.message


async def test_dns_nxdomain_fails(dns_server: DNSTestServer, backends: Backends) -> None:
    r = await run(run_dns, dns_spec(dns_server, "nope.musicconnect.example"), backends)
    assert r.outcome is Outcome.FAIL
    assert "no such name" in r.message
    assert r.values["count"] == 0


async def test_dns_nodata_fails_default_condition(
    dns_server: DNSTestServer, backends: Backends
) -> None:
    r = await run(run_dns, dns_spec(dns_server, "mail.musicconnect.example", "TXT"), backends)
    assert r.outcome is Outcome.FAIL
    assert r.values["answers"] == [] and "expected count > 0" in r.message


@pytest.mark.parametrize(
    ("name", "rdtype", "answers", "expected"),
    [
        ("musicconnect.example", "TXT", ["v=spf1 -all"], ('"v=spf1 -all"',)),
        (
            "musicconnect.example",
            "MX",
            ["10 mail.musicconnect.example."],
            ("10 mail.musicconnect.example",),
        ),
        (
            "www.musicconnect.example",
            "CNAME",
            ["musicconnect.example."],
            ("MusicConnect.Example",),
        ),
        (
            "musicconnect.example",
            "CAA",
            ['0 issue "letsencrypt.org"'],
            ('0 issue "letsencrypt.org"',),
        ),
        (
            "musicconnect.example",
            "NS",
            ["ns1.musicconnect.example."],
            ("ns1.musicconnect.example.",),
        ),
        ("musicconnect.example", "AAAA", ["::1"], ("0:0:0:0:0:0:0:1",)),
    ],
)
async def test_dns_record_types(
    dns_server: DNSTestServer,
    backends: Backends,
    name: str,
    rdtype: str,
    answers: list[str],
    expected: tuple[str, ...],
) -> None:
    r = await run(run_dns, dns_spec(dns_server, name, rdtype, values=expected), backends)
    assert r.outcome is Outcome.PASS, r.message
    assert r.values["answers"] == answers


async def test_dns_flapping_record(dns_server: DNSTestServer, backends: Backends) -> None:
    spec = dns_spec(dns_server, "musicconnect.example", values=("127.0.0.10", "127.0.0.11"))
    assert (await run(run_dns, spec, backends)).outcome is Outcome.PASS
    dns_server.set("musicconnect.example", "A", ["127.0.0.99"])
    r = await run(run_dns, spec, backends)
    assert r.outcome is Outcome.FAIL
    assert "unexpected 127.0.0.99" in r.message
    dns_server.set("musicconnect.example", "A", ["127.0.0.10", "127.0.0.11"])
    assert (await run(run_dns, spec, backends)).outcome is Outcome.PASS


async def test_dns_server_failures_are_errors(
    dns_server: DNSTestServer, backends: Backends
) -> None:
    spec = dns_spec(dns_server, "musicconnect.example")
    dns_server.rcode_override = dns.rcode.SERVFAIL
    r = await run(run_dns, spec, backends)
    assert r.outcome is Outcome.ERROR and r.message.startswith("unreachable:")

    dns_server.rcode_override = None
    dns_server.drop = True
    r = await run(run_dns, spec, backends, timeout=0.5)
    assert r.outcome is Outcome.ERROR and r.message.startswith("timeout:")


# ---------------------------------------------------------------- TCP
async def test_tcp_open_port_passes(http_server: HTTPTestServer, backends: Backends) -> None:
    spec = TcpCheck(
        kind="tcp", host="127.0.0.1", port=http_server.port, expect=cond("connect_time < 1s")
    )
    r = await run(run_tcp, spec, backends)
    assert r.outcome is Outcome.PASS, r.message
    assert 0 < r.values["connect_time"] < 1
    assert r.message.startswith("connected in ")


async def test_tcp_closed_port_fails(closed_port: int, backends: Backends) -> None:
    r = await run(run_tcp, TcpCheck(kind="tcp", host="127.0.0.1", port=closed_port), backends)
    assert r.outcome is Outcome.FAIL
    assert "connection refused" in r.message


@contextlib.contextmanager
def full_backlog() -> Iterator[int]:
    """A port whose accept queue is full: Linux drops further SYNs, so connects hang."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port: int = listener.getsockname()[1]
    fillers = []
    try:
        for _ in range(2):  # backlog 0 still queues one; the second fills it
            c = socket.socket()
            c.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                c.connect(("127.0.0.1", port))
            fillers.append(c)
        yield port
    finally:
        for c in fillers:
            c.close()
        listener.close()


@pytest.mark.skipif(sys.platform != "linux", reason="relies on Linux dropping SYNs on a full queue")
async def test_tcp_timeout_fails(backends: Backends) -> None:
    with full_backlog() as port:
        await asyncio.sleep(0.05)  # let the fillers' handshakes complete
        r = await run(run_tcp, TcpCheck(kind="tcp", host="127.0.0.1", port=port), backends, 0.5)
    assert r.outcome is Outcome.FAIL
    assert r.message == f"no connection to 127.0.0.1:{port} within 0.5s"
