"""The ingress-nginx and gateway-api actuators with the real `kubernetes` client against the
API-compatible fixture server (tests/fixtures/kube_apiserver.py, a test fixture, not a real
kube-apiserver), two contexts; a real `kubectl` reads back what tminus patched."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tminus.backends.factory import build_backends
from tminus.core.clock import FrozenClock
from tminus.engine.console import ConsoleEngine
from tminus.engine.session import SessionWriter, load_events
from tminus.plan.loader import parse_plan

from console_factory import folded
from fixtures.kube_apiserver import KubeRegions

NS = "musicconnect"
CONTEXTS = ("prod-us-east", "prod-eu-west")
needs_kubectl = pytest.mark.skipif(
    shutil.which("kubectl") is None, reason="kubectl not installed (make test installs it)"
)


def plan_text(kubeconfig: Path, actuator: str) -> str:
    return f"""
[launch]
name = "MusicConnect"
t0 = 2026-12-04T16:00:00Z

[backends.kubernetes]
contexts = ["prod-us-east", "prod-eu-west"]
kubeconfig = "{kubeconfig}"

[rollout]
steps = [5, 25, 50, 100]
bake = "1m"
actuator = {actuator}
"""


INGRESS = (
    '{ kind = "ingress-nginx", contexts = ["prod-us-east", "prod-eu-west"], '
    'namespace = "musicconnect", ingress = "api-canary" }'
)
ROUTE = (
    '{ kind = "gateway-api", contexts = ["prod-us-east", "prod-eu-west"], '
    'namespace = "musicconnect", route = "api", stable = "api-stable", canary = "api-canary" }'
)


async def make_engine(
    tmp_path: Path, kube: KubeRegions, actuator: str
) -> tuple[ConsoleEngine, FrozenClock]:
    plan = parse_plan(plan_text(kube.kubeconfig, actuator))
    clock = FrozenClock(plan.launch.t0)
    session = SessionWriter(tmp_path / "s.jsonl", resume=False)
    engine = ConsoleEngine(plan, build_backends(plan, env={}), session=session, clock=clock)
    engine.attach_loop(asyncio.get_running_loop())
    assert engine.rollout is not None
    await engine.rollout.record_start()
    await folded(engine)
    return engine, clock


def kubectl(kube: KubeRegions, context: str, *args: str) -> dict:
    out = subprocess.run(
        [
            "kubectl",
            "--kubeconfig",
            str(kube.kubeconfig),
            "--context",
            context,
            *args,
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(out.stdout)


def events(engine: ConsoleEngine, kind: str) -> list[dict]:
    assert engine.session is not None
    return [e.data for e in load_events(engine.session.path).events if e.type == kind]


@needs_kubectl
async def test_ingress_nginx_patch_lands_and_kubectl_reads_it_back(tmp_path, kube_regions):
    engine, _ = await make_engine(tmp_path, kube_regions, INGRESS)
    ctl = engine.rollout
    assert ctl is not None
    assert events(engine, "rollout.applied")[0]["regions"] == {c: 0 for c in CONTEXTS}
    preview = await ctl.preview(5)
    assert [c.region for c in preview] == list(CONTEXTS)
    assert '"nginx.ingress.kubernetes.io/canary-weight": "5"' in preview[0].body
    await ctl.apply(5)
    for ctx in CONTEXTS:
        path, content_type, body = kube_regions[ctx].patches[-1]
        assert path == f"/apis/networking.k8s.io/v1/namespaces/{NS}/ingresses/api-canary"
        assert content_type == "application/merge-patch+json"
        assert body == {
            "metadata": {
                "annotations": {
                    "nginx.ingress.kubernetes.io/canary": "true",
                    "nginx.ingress.kubernetes.io/canary-weight": "5",
                }
            }
        }
        ing = await asyncio.to_thread(
            kubectl, kube_regions, ctx, "get", "ingress", "-n", NS, "api-canary"
        )
        assert ing["metadata"]["annotations"]["nginx.ingress.kubernetes.io/canary-weight"] == "5"
        assert ing["spec"]["rules"][0]["host"] == "musicconnect.example"  # nothing else moved
    assert events(engine, "rollout.applied")[-1]["regions"] == {c: 5 for c in CONTEXTS}
    await engine.shutdown()


@needs_kubectl
async def test_gateway_api_weights_land_as_a_json_patch(tmp_path, kube_regions):
    engine, clock = await make_engine(tmp_path, kube_regions, ROUTE)
    ctl = engine.rollout
    assert ctl is not None
    await ctl.apply(5)
    clock.advance(60)
    await folded(engine)
    await ctl.apply(25)
    for ctx in CONTEXTS:
        path, content_type, body = kube_regions[ctx].patches[-1]
        assert path == f"/apis/gateway.networking.k8s.io/v1/namespaces/{NS}/httproutes/api"
        assert content_type == "application/json-patch+json"
        assert {"op": "replace", "path": "/spec/rules/0/backendRefs/1/weight", "value": 25} in body
        assert {
            "op": "test",
            "path": "/spec/rules/0/backendRefs/0/name",
            "value": "api-stable",
        } in body
        route = await asyncio.to_thread(
            kubectl,
            kube_regions,
            ctx,
            "get",
            "httproutes.gateway.networking.k8s.io",
            "-n",
            NS,
            "api",
        )
        weights = {r["name"]: r["weight"] for r in route["spec"]["rules"][0]["backendRefs"]}
        assert weights == {"api-stable": 75, "api-canary": 25}
    backs = await ctl.read_back()
    assert {rb.canary for rb in backs} == {"api-canary"} and {rb.weight for rb in backs} == {25}
    await engine.shutdown()


async def test_drift_is_detected_on_the_next_read(tmp_path, kube_regions):
    engine, _ = await make_engine(tmp_path, kube_regions, INGRESS)
    ctl = engine.rollout
    assert ctl is not None
    await ctl.apply(5)
    await folded(engine)
    assert await ctl.check_drift() is None
    ing = kube_regions["prod-eu-west"].get("ingresses", "api-canary", NS)
    ing["metadata"]["annotations"]["nginx.ingress.kubernetes.io/canary-weight"] = "40"
    kube_regions["prod-eu-west"].put(ing)  # someone edits the Ingress by hand
    drift = await ctl.check_drift()
    assert drift is not None and drift.type == "rollout.drift"
    assert drift.data == {"expected": 5, "regions": {"prod-eu-west": 40}}
    await folded(engine)
    assert ctl.rollout.drift == {"prod-eu-west": 40}
    assert await ctl.check_drift() is None  # logged once, not on every poll
    await engine.shutdown()


async def test_one_region_failing_stops_and_shows_who_holds_what(tmp_path, kube_regions):
    engine, clock = await make_engine(tmp_path, kube_regions, INGRESS)
    ctl = engine.rollout
    assert ctl is not None
    await ctl.apply(5)
    clock.advance(60)
    await folded(engine)
    kube_regions["prod-eu-west"].fail_with = 503
    failed = await ctl.apply(25)
    assert failed.type == "rollout.failed"
    assert failed.data["regions"] == {"prod-us-east": 25, "prod-eu-west": None}
    assert "prod-eu-west: HTTP 503" in failed.data["errors"]["prod-eu-west"]
    await folded(engine)
    assert ctl.rollout.weight == 5 and ctl.rollout.failed is not None
    # return to the previous weight: moving down is always allowed
    kube_regions["prod-eu-west"].fail_with = None
    back = await ctl.apply(ctl.rollout.failed["previous"])
    assert back.type == "rollout.applied" and back.data["regions"] == {c: 5 for c in CONTEXTS}
    await engine.shutdown()


async def test_a_token_without_rights_fails_the_apply_with_403(tmp_path, kube_regions):
    kubeconfig = kube_regions.write_kubeconfig(
        tmp_path / "weak", {"prod-eu-west": kube_regions["prod-eu-west"].no_rights_token}
    )
    plan = parse_plan(plan_text(kubeconfig, INGRESS))
    session = SessionWriter(tmp_path / "w.jsonl", resume=False)
    engine = ConsoleEngine(plan, build_backends(plan, env={}), session=session)
    assert engine.rollout is not None
    event = await engine.rollout.apply(5)
    assert event.type == "rollout.failed"
    assert "HTTP 403" in event.data["errors"]["prod-eu-west"]
    assert event.data["regions"]["prod-us-east"] == 5
    await engine.shutdown()
