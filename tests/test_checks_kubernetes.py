"""Kubernetes checks with the real `kubernetes.aio` client against two API-compatible fixture
clusters (tests/fixtures/kube_apiserver.py), one kubeconfig context per region."""

from __future__ import annotations

import asyncio
import gc
import time
import warnings
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tminus.backends.base import Backends
from tminus.backends.kube import KubeClusters, kubeconfig_path
from tminus.checks.base import CheckContext
from tminus.checks.kubernetes import run_kubernetes
from tminus.core.conditions import Condition
from tminus.core.results import CheckResult, Outcome
from tminus.plan.checkspecs import KubernetesCheck
from tminus.plan.model import KubernetesConfig

from fixtures.kube_apiserver import APP_NAMESPACE, KubeRegions

US, EU = "prod-us-east", "prod-eu-west"
NS = APP_NAMESPACE


class Unused:
    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"a kubernetes check used another backend ({name})")


def clusters_for(regions: KubeRegions, kubeconfig: Path | None = None) -> KubeClusters:
    config = KubernetesConfig(
        contexts=tuple(regions.contexts), kubeconfig=str(kubeconfig or regions.kubeconfig)
    )
    return KubeClusters(config, {})


@pytest.fixture
async def kube(kube_regions: KubeRegions) -> AsyncIterator[KubeClusters]:
    clusters = clusters_for(kube_regions)
    yield clusters
    await clusters.close()


async def run(kube: KubeClusters, spec: KubernetesCheck, timeout: float = 10.0) -> CheckResult:
    backends = Backends(
        http=Unused(),  # type: ignore[arg-type]
        tls=Unused(),  # type: ignore[arg-type]
        dns=Unused(),  # type: ignore[arg-type]
        tcp=Unused(),  # type: ignore[arg-type]
        commands=Unused(),  # type: ignore[arg-type]
        kubernetes=kube,
    )
    async with asyncio.timeout(timeout + 10):
        return await run_kubernetes(spec, CheckContext(backends=backends, timeout=timeout))


def check(**kw: Any) -> KubernetesCheck:
    return KubernetesCheck(kind="kubernetes", **kw)


def part(r: CheckResult, name: str) -> Any:
    return next(p for p in r.parts if p.name == name)


# ---------------------------------------------------------------- healthy
async def test_all_regions_healthy(kube: KubeClusters) -> None:
    r = await run(kube, check(hpas=(f"{NS}/api",)))
    assert r.outcome is Outcome.PASS, r.message
    assert [p.name for p in r.parts] == [US, EU]
    assert all(p.outcome is Outcome.PASS for p in r.parts)
    assert r.value == "2/2 regions healthy"
    assert r.values == {
        "nodes_not_ready": 0,
        "unavailable": 0,
        "crashlooping": 0,
        "missing_hpas": 0,
        "nodes": 6,
    }
    assert part(r, EU).value["nodes"] == 3


def peak_overlap(spans: list[tuple[float, float]]) -> int:
    """The most (start, end) spans that were open at one instant."""
    edges = sorted([(a, 1) for a, _ in spans] + [(b, -1) for _, b in spans])
    peak = now = 0
    for _, step in edges:  # an end sorts before a start at the same instant
        now += step
        peak = max(peak, now)
    return peak


async def test_regions_are_queried_concurrently(
    kube: KubeClusters, kube_regions: KubeRegions
) -> None:
    await run(kube, check())  # first call pays for imports and client setup
    for cluster in kube_regions.clusters.values():
        cluster.delay_s = 1.0
    r = await run(kube, check())
    assert r.outcome is Outcome.PASS, r.message
    # 2 regions x 4 list calls each, each answer held 1 s by the servers: how many were in
    # flight at once says it, however fast the machine (serial: never more than one)
    spans = [s for c in kube_regions.clusters.values() for s in c.delayed]
    assert len(spans) == 8
    assert peak_overlap(spans) == 8


# ---------------------------------------------------------------- problems
async def test_not_ready_node_fails_naming_region_and_node(
    kube: KubeClusters, kube_regions: KubeRegions
) -> None:
    kube_regions[EU].set_node_ready(f"{EU}-node-2", False)
    r = await run(kube, check())
    assert r.outcome is Outcome.FAIL
    assert part(r, US).outcome is Outcome.PASS
    eu = part(r, EU)
    assert eu.outcome is Outcome.FAIL
    # the part is named by its region; its message does not repeat the name
    assert eu.message == f"node {EU}-node-2 NotReady (KubeletNotReady)"
    assert r.message.startswith(f"{EU}: node {EU}-node-2 NotReady")
    assert r.value == "1/2 regions healthy"
    assert r.values["nodes_not_ready"] == 1


async def test_node_status_unknown_fails(kube: KubeClusters, kube_regions: KubeRegions) -> None:
    kube_regions[US].set_node_ready(f"{US}-node-1", "Unknown")
    r = await run(kube, check())
    assert r.outcome is Outcome.FAIL
    assert f"{US}: node {US}-node-1 NotReady (NodeStatusUnknown)" in r.message


async def test_unavailable_deployment_fails_naming_it(
    kube: KubeClusters, kube_regions: KubeRegions
) -> None:
    kube_regions[US].set_deployment_status(NS, "api", available=1)
    # zero available: the API omits the counter entirely
    kube_regions[US].set_deployment_status(NS, "worker", available=0)
    r = await run(kube, check())
    assert r.outcome is Outcome.FAIL
    us = part(r, US)
    assert f"Deployment {NS}/api 1/3 available" in us.message
    assert f"Deployment {NS}/worker 0/2 available" in us.message
    assert not us.message.startswith(f"{US}: ")
    assert f"{US}: Deployment" in r.message
    assert r.values["unavailable"] == 2
    assert part(r, EU).outcome is Outcome.PASS


async def test_statefulset_not_ready_fails(kube: KubeClusters, kube_regions: KubeRegions) -> None:
    kube_regions[EU].add_statefulset(NS, "kafka", replicas=3, ready=0)
    r = await run(kube, check())
    assert r.outcome is Outcome.FAIL
    assert f"{EU}: StatefulSet {NS}/kafka 0/3 available" in r.message


async def test_workloads_can_be_skipped(kube: KubeClusters, kube_regions: KubeRegions) -> None:
    kube_regions[US].set_deployment_status(NS, "api", available=1)
    r = await run(kube, check(workloads=False))
    assert r.outcome is Outcome.PASS, r.message


async def test_crashloop_pod_fails(kube: KubeClusters, kube_regions: KubeRegions) -> None:
    kube_regions[EU].add_pod(NS, "api-7c9d8f6b5-crash", crashloop=True, container="api")
    r = await run(kube, check())
    assert r.outcome is Outcome.FAIL
    eu = part(r, EU)
    assert f"pod {NS}/api-7c9d8f6b5-crash CrashLoopBackOff (container api" in eu.message
    assert r.values["crashlooping"] == 1


async def test_namespaces_limit_what_is_read(kube: KubeClusters, kube_regions: KubeRegions) -> None:
    kube_regions[EU].add_pod("batch", "reindex-1", crashloop=True)
    assert (await run(kube, check())).outcome is Outcome.FAIL  # all namespaces
    r = await run(kube, check(namespaces=(NS,)))
    assert r.outcome is Outcome.PASS, r.message
    paths = [path for _, path in kube_regions[EU].requests]
    assert f"/api/v1/namespaces/{NS}/pods" in paths


async def test_missing_hpa_fails_naming_workload(kube: KubeClusters) -> None:
    r = await run(kube, check(hpas=(f"{NS}/api", "web", "other-ns/api")))
    assert r.outcome is Outcome.FAIL
    for region in (US, EU):
        p = part(r, region)
        assert p.outcome is Outcome.FAIL
        assert "no HPA for web" in p.message
        assert "no HPA for other-ns/api" in p.message  # right name, wrong namespace
        assert f"no HPA for {NS}/api" not in p.message
    assert r.values["missing_hpas"] == 4


async def test_explicit_expect_judges_the_sums(
    kube: KubeClusters, kube_regions: KubeRegions
) -> None:
    kube_regions[US].set_deployment_status(NS, "web", available=1)
    tolerant = check(expect=Condition.parse("unavailable <= 1 and nodes >= 6"))
    r = await run(kube, tolerant)
    assert r.outcome is Outcome.PASS, r.message
    assert part(r, US).outcome is Outcome.FAIL  # the part still shows the problem
    kube_regions[EU].set_deployment_status(NS, "web", available=1)
    r = await run(kube, tolerant)
    assert r.outcome is Outcome.FAIL
    assert "expected unavailable <= 1" in r.message


# ---------------------------------------------------------------- errors
async def test_wrong_token_is_an_error_not_a_failure(
    kube_regions: KubeRegions, tmp_path: Path
) -> None:
    bad = kube_regions.write_kubeconfig(tmp_path / "bad-kubeconfig", {EU: "wrong-token"})
    kube = clusters_for(kube_regions, bad)
    try:
        r = await run(kube, check())
    finally:
        await kube.close()
    assert r.outcome is Outcome.ERROR
    eu = part(r, EU)
    assert eu.outcome is Outcome.ERROR
    assert eu.message.startswith("auth: ")
    assert "401" in eu.message
    assert part(r, US).outcome is Outcome.PASS
    assert r.message.startswith(f"{EU}: auth: ")


async def test_forbidden_is_an_auth_error(kube: KubeClusters, kube_regions: KubeRegions) -> None:
    kube_regions[US].fail_with = 403
    r = await run(kube, check())
    assert r.outcome is Outcome.ERROR
    assert part(r, US).message.startswith("auth: HTTP 403")


async def test_unknown_context_is_an_error(kube: KubeClusters) -> None:
    r = await run(kube, check(contexts=("prod-mars",)))
    assert r.outcome is Outcome.ERROR
    assert [p.name for p in r.parts] == ["prod-mars"]
    assert "not_found" in r.message and "prod-mars" in r.message


async def test_unreachable_region_is_an_error(
    kube: KubeClusters, kube_regions: KubeRegions
) -> None:
    kube_regions[EU].stop()
    r = await run(kube, check())
    assert r.outcome is Outcome.ERROR
    assert part(r, EU).message.startswith("unreachable: ")
    assert part(r, US).outcome is Outcome.PASS


async def test_slow_region_times_out(kube: KubeClusters, kube_regions: KubeRegions) -> None:
    kube_regions[EU].delay_s = 30
    started = time.monotonic()
    r = await run(kube, check(), timeout=1.5)
    # far under the 30 s the region holds its answers (a slow machine adds seconds)
    assert time.monotonic() - started < 15
    assert r.outcome is Outcome.ERROR
    assert part(r, EU).message.startswith("timeout: ")
    assert part(r, US).outcome is Outcome.PASS


async def test_relative_certificate_path_and_kubeconfig_env(
    kube_regions: KubeRegions, tmp_path: Path
) -> None:
    # A kubeconfig naming its CA file relative to itself, found through $KUBECONFIG
    cluster = kube_regions[US]
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "ca.pem").write_bytes(cluster.ca_pem)
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "solo",
        "clusters": [
            {
                "name": "c",
                "cluster": {"server": cluster.url, "certificate-authority": "certs/ca.pem"},
            }
        ],
        "users": [{"name": "u", "user": {"token": cluster.token}}],
        "contexts": [{"name": "solo", "context": {"cluster": "c", "user": "u"}}],
    }
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump(config))
    kube = KubeClusters(KubernetesConfig(contexts=("solo",)), {"KUBECONFIG": str(path)})
    try:
        r = await run(kube, check())
    finally:
        await kube.close()
    assert r.outcome is Outcome.PASS, r.message
    assert [p.name for p in r.parts] == ["solo"]


async def test_missing_kubeconfig_is_an_error(tmp_path: Path) -> None:
    kube = KubeClusters(KubernetesConfig(contexts=("a",), kubeconfig=str(tmp_path / "missing")), {})
    r = await run(kube, check())
    await kube.close()
    assert r.outcome is Outcome.ERROR
    assert "not_found" in r.message and "kubeconfig" in r.message


async def test_no_backend_configured() -> None:
    r = await run(None, check())  # type: ignore[arg-type]
    assert r.outcome is Outcome.ERROR
    assert r.message == "no Kubernetes backend configured"


# ---------------------------------------------------------------- client lifecycle
async def test_clients_are_reused_and_closed(kube_regions: KubeRegions) -> None:
    kube = clusters_for(kube_regions)
    # Flush what earlier tests left for the collector (a request cancelled by a timeout leaves
    # its TLS connection closing until the peer answers): only this test's clients count here.
    gc.collect()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        await run(kube, check())
        await run(kube, check())
        sessions = [c.rest_client.pool_manager for c in kube._clients.values()]
        assert len(sessions) == 2 and all(s is not None for s in sessions)
        await kube.close()
        assert all(s.closed for s in sessions)
        del sessions
        gc.collect()
    unclosed = [str(w.message) for w in caught if "nclosed" in str(w.message)]
    assert not unclosed


def test_kubeconfig_path_defaults() -> None:
    cfg = KubernetesConfig(contexts=("a",))
    assert kubeconfig_path(cfg, {"KUBECONFIG": "/x:/y", "HOME": "/h"}) == "/x:/y"
    assert kubeconfig_path(cfg, {"HOME": "/h"}) == "/h/.kube/config"
    explicit = KubernetesConfig(contexts=("a",), kubeconfig="/k")
    assert kubeconfig_path(explicit, {"KUBECONFIG": "/x"}) == "/k"
