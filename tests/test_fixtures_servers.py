"""Self-tests of the loopback test servers in tests/fixtures, each with a real client."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import socket
import ssl
import threading
import time
import urllib.error
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dns.asyncresolver
import dns.rcode
import dns.resolver
import httpx
import pytest
from cryptography import x509

from fixtures.certs import CertFactory, LeafPaths
from fixtures.dns_server import DNSTestServer
from fixtures.http_server import HTTPTestServer
from fixtures.kube_apiserver import KubeRegions
from fixtures.prometheus import PrometheusError, PrometheusServer
from fixtures.tls_server import TLSTestServer

NS = "musicconnect"


def _until(check: Callable[[], object], timeout: float, what: str) -> object:
    """Poll `check` until it returns a truthy value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def _peer_cert(
    address: tuple[str, int], ca: Path, server_hostname: str | None
) -> tuple[dict[str, Any], bytes]:
    ctx = ssl.create_default_context(cafile=str(ca))
    ctx.verify_flags |= ssl.VERIFY_X509_STRICT
    if server_hostname is None:
        ctx.check_hostname = False  # an SNI-less client: nothing to match the name against
    with (
        socket.create_connection(address, timeout=5) as sock,
        ctx.wrap_socket(sock, server_hostname=server_hostname) as tls,
    ):
        cert = tls.getpeercert()
        tls.sendall(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        reply = tls.recv(1024)
    assert cert is not None
    return cert, reply


def _days_left(cert: dict[str, Any]) -> float:
    not_after = ssl.cert_time_to_seconds(str(cert["notAfter"]))
    return (not_after - time.time()) / 86400


# -- certs and TLS -----------------------------------------------------------------------------


def test_certs_validity_and_sans(certs: CertFactory) -> None:
    leaf = certs.issue(["musicconnect.example", "127.0.0.1"], days=10)
    cert = x509.load_pem_x509_certificate(leaf.cert.read_bytes())
    days = (cert.not_valid_after_utc - dt.datetime.now(dt.UTC)).total_seconds() / 86400
    assert 9.99 < days <= 10
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["musicconnect.example"]
    assert san.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    assert leaf.ca_cert == certs.ca.cert_path
    expired = certs.issue(["127.0.0.1"], days=-1)
    assert expired.not_after < dt.datetime.now(dt.UTC) and expired.not_before < expired.not_after


def test_tls_servers_serve_chosen_certs(
    certs: CertFactory, tls_servers: Callable[..., TLSTestServer]
) -> None:
    soon = tls_servers(certs.issue(["soon.example", "127.0.0.1"], days=10))
    later = tls_servers(certs.issue(["later.example", "127.0.0.1"], days=60))
    for server, days in ((soon, 10), (later, 60)):
        for sni in (None, "127.0.0.1"):  # SNI-less client, then an IP "hostname"
            cert, reply = _peer_cert(server.address, certs.ca.cert_path, sni)
            assert days - 0.01 < _days_left(cert) <= days
            assert reply.startswith(b"HTTP/1.1 200 OK")
    assert soon.sni_names == [None, None]  # clients never send an IP address as SNI


def test_tls_server_sni_routing_close_mode_and_untrusted_client(
    certs: CertFactory, tls_servers: Callable[..., TLSTestServer]
) -> None:
    default = certs.issue(["default.example"], days=60)
    other = certs.issue(["other.example"], days=10)
    server = tls_servers(default, mode="close", sni_certs={"other.example": other})
    cert, reply = _peer_cert(server.address, certs.ca.cert_path, "other.example")
    assert _days_left(cert) < 11 and reply == b""  # mode="close": no HTTP answer
    cert, _ = _peer_cert(server.address, certs.ca.cert_path, "default.example")
    assert _days_left(cert) > 59
    assert server.sni_names == ["other.example", "default.example"]
    with pytest.raises(ssl.SSLCertVerificationError):  # a CA the client does not trust
        _peer_cert(server.address, certs.make_ca("stranger").cert_path, "default.example")


def test_servers_stop_without_leaking_threads(certs: CertFactory) -> None:
    def ours() -> set[threading.Thread]:
        prefixes = ("tls-server-", "http-test-server-", "dns-test-server-")
        return {t for t in threading.enumerate() if t.name.startswith(prefixes)}

    before = ours()
    leaf: LeafPaths = certs.issue()
    with TLSTestServer(leaf), HTTPTestServer(tls=leaf), DNSTestServer():
        assert len(ours() - before) == 3
    assert ours() == before == set()


# -- HTTP ----------------------------------------------------------------------------------------


async def test_http_server_routes(http_server: HTTPTestServer) -> None:
    http_server.rate_limit = 3
    async with httpx.AsyncClient(base_url=http_server.url) as client:
        health = await client.get("/health")
        assert health.status_code == 200
        assert health.json() == {"status": "UP", "version": "1.2.3"}
        assert (await client.get("/status/503")).status_code == 503
        assert (await client.get("/status/204")).status_code == 204
        cdn = await client.get("/cdn")
        assert cdn.status_code == 200 and cdn.headers["x-cache"] == "HIT"
        limited = [(await client.get("/limited")).status_code for _ in range(5)]
        assert limited == [200, 200, 200, 429, 429]
        echo = (await client.get("/echo", headers={"X-Trace": "abc"})).json()
        assert echo["method"] == "GET" and echo["headers"]["x-trace"] == "abc"
        posted = (await client.post("/echo", content=b'{"a": 1}')).json()
        assert posted["method"] == "POST" and posted["body"] == '{"a": 1}'
        slow = await client.get("/slow", params={"ms": 50})
        assert slow.json() == {"status": "UP"} and slow.elapsed.total_seconds() >= 0.05
    assert http_server.count("/limited") == 5
    assert http_server.count("/echo") == 2
    assert http_server.total_requests == 12


async def test_http_server_many_concurrent_slow_requests(http_server: HTTPTestServer) -> None:
    limits = httpx.Limits(max_connections=150)
    async with httpx.AsyncClient(base_url=http_server.url, limits=limits, timeout=10) as client:
        started = time.monotonic()
        responses = await asyncio.gather(
            *(client.get("/slow", params={"ms": 500}) for _ in range(150))
        )
        elapsed = time.monotonic() - started
    assert {r.status_code for r in responses} == {200}
    assert http_server.max_in_flight >= 100  # really concurrent, not queued
    assert elapsed < 4


async def test_https_server(https_server: HTTPTestServer, certs: CertFactory) -> None:
    assert https_server.url.startswith("https://127.0.0.1:")
    ctx = ssl.create_default_context(cafile=str(certs.ca.cert_path))
    async with httpx.AsyncClient(base_url=https_server.url, verify=ctx) as client:
        assert (await client.get("/health")).json()["status"] == "UP"
    async with httpx.AsyncClient(base_url=https_server.url) as untrusting:
        with pytest.raises(httpx.ConnectError):
            await untrusting.get("/health")


# -- DNS -----------------------------------------------------------------------------------------


def _resolver(server: DNSTestServer) -> dns.asyncresolver.Resolver:
    resolver = dns.asyncresolver.Resolver(configure=False)
    resolver.nameservers = [server.host]
    resolver.port = server.port
    resolver.lifetime = 2
    return resolver


async def _texts(resolver: dns.asyncresolver.Resolver, name: str, rdtype: str) -> list[str]:
    answer = await resolver.resolve(name, rdtype)
    return sorted(rdata.to_text() for rdata in answer)


async def test_dns_server_answers_zone(dns_server: DNSTestServer) -> None:
    r = _resolver(dns_server)
    assert await _texts(r, "musicconnect.example", "A") == ["127.0.0.10", "127.0.0.11"]
    assert await _texts(r, "musicconnect.example", "AAAA") == ["::1"]
    assert await _texts(r, "musicconnect.example", "TXT") == ['"v=spf1 -all"']
    assert await _texts(r, "musicconnect.example", "MX") == ["10 mail.musicconnect.example."]
    assert await _texts(r, "musicconnect.example", "CAA") == ['0 issue "letsencrypt.org"']
    assert await _texts(r, "musicconnect.example", "NS") == ["ns1.musicconnect.example."]
    assert await _texts(r, "www.musicconnect.example", "CNAME") == ["musicconnect.example."]
    www = await r.resolve("www.musicconnect.example", "A")  # CNAME followed in the zone
    assert str(www.canonical_name) == "musicconnect.example."
    assert sorted(x.to_text() for x in www) == ["127.0.0.10", "127.0.0.11"]
    with pytest.raises(dns.resolver.NXDOMAIN):
        await r.resolve("missing.musicconnect.example", "A")
    with pytest.raises(dns.resolver.NoAnswer):
        await r.resolve("mail.musicconnect.example", "TXT")
    tcp = await r.resolve("musicconnect.example", "A", tcp=True)
    assert len(tcp) == 2
    assert ("musicconnect.example.", "A", "tcp") in dns_server.queries


async def test_dns_server_zone_changes_at_run_time(dns_server: DNSTestServer) -> None:
    r = _resolver(dns_server)
    dns_server.set("musicconnect.example.", "A", ["127.0.0.99"])  # flap
    assert await _texts(r, "musicconnect.example", "A") == ["127.0.0.99"]
    dns_server.remove("musicconnect.example.", "A")
    with pytest.raises(dns.resolver.NoAnswer):
        await r.resolve("musicconnect.example", "A")
    dns_server.set("new.musicconnect.example", "A", ["127.0.0.7"])
    assert await _texts(r, "new.musicconnect.example", "A") == ["127.0.0.7"]
    dns_server.rcode_override = dns.rcode.SERVFAIL
    with pytest.raises(dns.resolver.NoNameservers):
        await r.resolve("new.musicconnect.example", "A")
    dns_server.rcode_override = None
    dns_server.drop = True
    r.lifetime = 0.3
    with pytest.raises(dns.resolver.LifetimeTimeout):
        await r.resolve("new.musicconnect.example", "A")


# -- Prometheus ------------------------------------------------------------------------------------

ERROR_RATIO = 'sum(rate(http_requests_total{code="500"}[5s])) / sum(rate(http_requests_total[5s]))'


def _scalar(prometheus: PrometheusServer, expr: str) -> float | None:
    result = prometheus.query(expr)
    return float(result[0]["value"][1]) if result else None


def test_prometheus_scrapes_exporter(prometheus: PrometheusServer) -> None:
    up = prometheus.query("up")
    assert up and up[0]["metric"]["instance"] == prometheus.exporter.target
    assert up[0]["value"][1] == "1"
    codes = {s["metric"]["code"] for s in prometheus.query("http_requests_total")}
    assert codes == {"200", "500"}  # pre-created, so an error ratio is 0, not empty

    def about_100_per_s() -> bool:
        # Until the 5 s window is full of samples, rate() reads low (about 33 at first).
        value = _scalar(prometheus, "sum(rate(http_requests_total[5s]))")
        return value is not None and 90 < value < 110

    _until(about_100_per_s, 10, "a request rate of about 100/s")
    assert prometheus.query("no_such_metric") == []
    with pytest.raises(PrometheusError, match="bad_data"):
        prometheus.query("sum(")


def test_prometheus_reflects_error_ratio(prometheus: PrometheusServer) -> None:
    prometheus.exporter.set_error_ratio(0.10)

    def near_ten_percent() -> bool:
        value = _scalar(prometheus, ERROR_RATIO)
        return value is not None and abs(value - 0.10) < 0.005

    try:
        _until(near_ten_percent, 10, "an error ratio of 0.10")
    finally:
        # Queries still show errors for one rate window (5 s) after this.
        prometheus.exporter.set_error_ratio(0.0)


def test_prometheus_outage_and_recovery(prometheus: PrometheusServer) -> None:
    prometheus.stop()
    with pytest.raises(urllib.error.URLError):
        prometheus.query("up")
    prometheus.start()
    assert prometheus.query("http_requests_total")  # the TSDB kept the earlier data
    _until(lambda: _scalar(prometheus, "sum(rate(http_requests_total[5s]))"), 10, "new samples")


# -- Kubernetes API fixture ------------------------------------------------------------------------


async def test_kube_regions_with_official_async_client(kube_regions: KubeRegions) -> None:
    from kubernetes.aio import client, config

    contexts, active = config.list_kube_config_contexts(config_file=str(kube_regions.kubeconfig))
    assert [c["name"] for c in contexts] == ["prod-us-east", "prod-eu-west"]
    assert active["name"] == "prod-us-east"

    async def survey(context: str) -> dict[str, Any]:
        api = await config.new_client_from_config(
            config_file=str(kube_regions.kubeconfig), context=context
        )
        async with api:
            core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
            version, nodes, deployments, stateful, hpas, pods = await asyncio.gather(
                client.VersionApi(api).get_code(),
                core.list_node(),
                apps.list_namespaced_deployment(NS),
                apps.list_stateful_set_for_all_namespaces(),
                client.AutoscalingV2Api(api).list_horizontal_pod_autoscaler_for_all_namespaces(),
                core.list_namespaced_pod(NS, label_selector="app=api"),
            )
        return {
            "version": version.git_version,
            "ready": [
                next(c.status for c in n.status.conditions if c.type == "Ready")
                for n in nodes.items
            ],
            "deployments": {
                d.metadata.name: (d.spec.replicas, d.status.available_replicas)
                for d in deployments.items
            },
            "statefulsets": {s.metadata.name: s.status.ready_replicas for s in stateful.items},
            "hpa_targets": [h.spec.scale_target_ref.name for h in hpas.items],
            "api_pods": len(pods.items),
        }

    east, west = await asyncio.gather(*(survey(c) for c in kube_regions.contexts))
    for result in (east, west):
        assert result["version"] == "v1.31.4"
        assert result["ready"] == ["True", "True", "True"]
        assert result["deployments"] == {"api": (3, 3), "web": (2, 2), "worker": (2, 2)}
        assert result["statefulsets"] == {"postgres": 3}
        assert result["hpa_targets"] == ["api"]
        assert result["api_pods"] == 3
    assert kube_regions["prod-us-east"].region == "us-east-1"


async def test_kube_fixture_mutations_and_patches(kube_regions: KubeRegions) -> None:
    from kubernetes.aio import client, config

    east = kube_regions["prod-us-east"]
    east.set_node_ready("prod-us-east-node-2", False)
    east.add_pod(NS, "api-7c9d8f6b5-crash", crashloop=True, labels={"app": "api"})
    east.set_deployment_status(NS, "api", available=0)
    api = await config.new_client_from_config(
        config_file=str(kube_regions.kubeconfig), context="prod-us-east"
    )
    async with api:
        core = client.CoreV1Api(api)
        nodes = await core.list_node()
        ready = {
            n.metadata.name: next(c.status for c in n.status.conditions if c.type == "Ready")
            for n in nodes.items
        }
        assert ready["prod-us-east-node-2"] == "False"
        pod = await core.read_namespaced_pod("api-7c9d8f6b5-crash", NS)
        status = pod.status.container_statuses[0]
        assert status.state.waiting.reason == "CrashLoopBackOff" and not status.ready
        dep = await client.AppsV1Api(api).read_namespaced_deployment("api", NS)
        assert dep.status.available_replicas is None  # zero is omitted, as in the real API

        networking = client.NetworkingV1Api(api)
        weight = "nginx.ingress.kubernetes.io/canary-weight"
        patched = await networking.patch_namespaced_ingress(
            "api-canary", NS, {"metadata": {"annotations": {weight: "10"}}}
        )
        assert patched.metadata.annotations[weight] == "10"
        patched = await networking.patch_namespaced_ingress(
            "api-canary",
            NS,
            {"metadata": {"annotations": {weight: "25"}}},
            _content_type="application/merge-patch+json",
        )
        assert (await networking.read_namespaced_ingress("api-canary", NS)).metadata.annotations[
            weight
        ] == "25"

        custom = client.CustomObjectsApi(api)
        group, version = "gateway.networking.k8s.io", "v1"
        route = await custom.get_namespaced_custom_object(group, version, NS, "httproutes", "api")
        rules = route["spec"]["rules"]
        rules[0]["backendRefs"][0]["weight"] = 90
        rules[0]["backendRefs"][1]["weight"] = 10
        patched_route = await custom.patch_namespaced_custom_object(
            group, version, NS, "httproutes", "api", {"spec": {"rules": rules}}
        )
        assert [b["weight"] for b in patched_route["spec"]["rules"][0]["backendRefs"]] == [90, 10]
        with pytest.raises(client.exceptions.ApiException) as unsupported:
            await custom.patch_namespaced_custom_object(
                group,
                version,
                NS,
                "httproutes",
                "api",
                {"spec": {}},
                _content_type="application/strategic-merge-patch+json",
            )
        assert unsupported.value.status == 415  # CRDs refuse strategic merge, like the real API

        with pytest.raises(client.exceptions.NotFoundException) as missing:
            await client.AppsV1Api(api).read_namespaced_deployment("nope", NS)
        assert '"reason": "NotFound"' in missing.value.body

    assert east.get("ingresses", "api-canary", NS)["metadata"]["annotations"][weight] == "25"
    content_types = [content_type for _, content_type, _ in east.patches]
    assert content_types == [
        "application/strategic-merge-patch+json",  # the client's choice for a dict body
        "application/merge-patch+json",
        "application/merge-patch+json",
    ]
    # The other region is untouched.
    west_canary = kube_regions["prod-eu-west"].get("ingresses", "api-canary", NS)
    assert west_canary["metadata"]["annotations"][weight] == "0"


async def test_kube_fixture_rejects_wrong_token(kube_regions: KubeRegions, tmp_path: Path) -> None:
    from kubernetes.aio import client, config

    bad = kube_regions.write_kubeconfig(tmp_path / "bad", token_overrides={"prod-eu-west": "x"})
    api = await config.new_client_from_config(config_file=str(bad), context="prod-eu-west")
    async with api:
        with pytest.raises(client.exceptions.UnauthorizedException) as denied:
            await client.CoreV1Api(api).list_node()
    assert denied.value.status == 401
    assert '"reason": "Unauthorized"' in denied.value.body


def test_kube_fixture_status_objects(kube_regions: KubeRegions) -> None:
    cluster = kube_regions["prod-us-east"]
    ctx = ssl.create_default_context(cadata=cluster.ca_pem.decode())
    headers = {"Authorization": f"Bearer {cluster.token}"}
    with httpx.Client(base_url=cluster.url, verify=ctx) as http:
        assert http.get("/api/v1/nodes", headers=headers).json()["kind"] == "NodeList"
        unknown = http.get("/apis/example.com/v1/widgets", headers=headers)
        assert unknown.status_code == 404 and unknown.json()["kind"] == "Status"
        anonymous = http.get("/version")
        assert anonymous.status_code == 401
        assert anonymous.json() == {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": "Unauthorized",
            "reason": "Unauthorized",
            "code": 401,
        }
        cluster.fail_with = 503
        assert http.get("/api/v1/nodes", headers=headers).status_code == 503


def test_kube_fixture_strategic_merge_merges_named_lists_by_name() -> None:
    from fixtures.kube_apiserver import merge_patch, strategic_merge_patch

    target = {"containers": [{"name": "web", "image": "v2", "ports": [8080]}, {"name": "log"}]}
    patch = {"containers": [{"name": "web", "image": "v1"}]}
    merged = strategic_merge_patch(target, patch)
    assert merged["containers"] == [
        {"name": "web", "image": "v1", "ports": [8080]},
        {"name": "log"},
    ]
    # a JSON merge patch replaces the list, as RFC 7386 says
    assert merge_patch(target, patch)["containers"] == [{"name": "web", "image": "v1"}]
    assert strategic_merge_patch({"args": ["a", "b"]}, {"args": ["c"]}) == {"args": ["c"]}
