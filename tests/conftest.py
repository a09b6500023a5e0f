"""Shared pytest fixtures. The servers themselves live in tests/fixtures/."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tminus.core.redact import forget_secrets

from fixtures.certs import CertFactory, LeafPaths, make_ca
from fixtures.dns_server import DNSTestServer
from fixtures.echo_server import serve_echo
from fixtures.http_server import HTTPTestServer
from fixtures.kube_apiserver import KubeRegions, start_regions
from fixtures.prometheus import PrometheusServer, restore_active, running_prometheus
from fixtures.tls_server import TLSTestServer


@pytest.fixture(autouse=True)
def _tminus_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    # The app stores sessions under TMINUS_HOME: never let a test touch the real one.
    monkeypatch.setenv("TMINUS_HOME", str(tmp_path_factory.mktemp("tminus-home")))
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")


@pytest.fixture(autouse=True)
def _forget_secrets() -> Iterator[None]:
    # secret values are remembered process-wide; one test's token must not blank another's text
    yield
    forget_secrets()


@pytest.fixture(autouse=True)
def _restore_prometheus() -> Iterator[None]:
    # Prometheus is shared by the session: undo an outage or error ratio a test left behind.
    # This does not start Prometheus for tests that do not ask for it.
    yield
    restore_active()


@pytest.fixture
def echo_url() -> Iterator[str]:
    """A loopback server echoing each request's headers back (planted-secret tests)."""
    yield from serve_echo()


@pytest.fixture
def certs(tmp_path: Path) -> CertFactory:
    """certs.ca, certs.issue(["127.0.0.1", "host"], days=10), certs.make_ca("other")."""
    return CertFactory(tmp_path / "certs")


@pytest.fixture
def http_server() -> Iterator[HTTPTestServer]:
    with HTTPTestServer() as server:
        yield server


@pytest.fixture
def https_server(certs: CertFactory) -> Iterator[HTTPTestServer]:
    """Like http_server over TLS; trust certs.ca.cert_path (the leaf has IP SAN 127.0.0.1)."""
    with HTTPTestServer(tls=certs.issue(["127.0.0.1", "localhost"], days=60)) as server:
        yield server


@pytest.fixture
def tls_servers() -> Iterator[Callable[..., TLSTestServer]]:
    """Factory: tls_servers(leaf, mode="http"|"close", sni_certs={...}) -> started server
    (server.address is (host, port)). All are stopped after the test."""
    with contextlib.ExitStack() as stack:

        def start(leaf: LeafPaths, **kwargs: Any) -> TLSTestServer:
            server = TLSTestServer(leaf, **kwargs)
            stack.enter_context(server)
            return server

        yield start


@pytest.fixture
def dns_server() -> Iterator[DNSTestServer]:
    """Serves fixtures.dns_server.EXAMPLE_ZONE (musicconnect.example.); mutate with .set()."""
    server = DNSTestServer()
    with server:  # entering yields (host, port); tests want the server object
        yield server


@pytest.fixture(scope="session")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusServer]:
    """A real /usr/bin/prometheus scraping a TestExporter every second (.url, .exporter,
    .query(), .stop(), .start()). Shared by the session: see _restore_prometheus."""
    with running_prometheus(tmp_path_factory.mktemp("prometheus")) as prom:
        yield prom


@pytest.fixture
def kube_regions(tmp_path: Path) -> Iterator[KubeRegions]:
    """Two KubeAPIFixture clusters (contexts prod-us-east, prod-eu-west) with healthy
    workloads in namespace musicconnect, and a kubeconfig for both."""
    kube_dir = tmp_path / "kube"
    kube_dir.mkdir()
    yield from start_regions(make_ca(kube_dir, name="kube test CA"), kube_dir)
