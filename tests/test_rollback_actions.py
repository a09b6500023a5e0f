"""Rollback step actions against real parts: the real `kubernetes` client against the
API-compatible Kubernetes fixture server, a loopback webhook receiver, real processes."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from tminus.actions.steps import ActionContext, ActionFailed, step_action
from tminus.backends.base import Backends
from tminus.backends.commands import LocalCommands
from tminus.backends.demo import make_world
from tminus.backends.factory import build_backends
from tminus.backends.kube import KubeClusters
from tminus.backends.net import RealDns, RealHttp, RealTcp, RealTls
from tminus.core.clock import FrozenClock, SystemClock
from tminus.engine.console import ConsoleEngine
from tminus.engine.session import SessionWriter, load_events
from tminus.plan.loader import default_plan
from tminus.plan.model import (
    CommandAction,
    KubernetesConfig,
    KubernetesPatchAction,
    VerifyAction,
    WebhookAction,
)

from fixtures.kube_apiserver import APP_NAMESPACE, KubeRegions


def real_backends(**kw: Any) -> Backends:
    return Backends(
        http=RealHttp(),
        tls=RealTls(),
        dns=RealDns(),
        tcp=RealTcp(),
        commands=LocalCommands(),
        **kw,
    )


def context(backends: Backends, **kw: Any) -> ActionContext:
    recorded: list[tuple[str, dict[str, Any]]] = []

    async def record(type_: str, **data: Any) -> None:
        recorded.append((type_, data))

    return ActionContext(
        plan=default_plan(), backends=backends, clock=SystemClock(), record=record, **kw
    )


async def run(action: Any, ctx: ActionContext) -> list[str]:
    lines: list[str] = []
    await step_action(action, ctx).run(lines.append)
    return lines


# ---------------------------------------------------------------- kubernetes-patch
async def test_kubernetes_patch_rolls_a_deployment_image_back(kube_regions: KubeRegions):
    east = kube_regions["prod-us-east"]
    east.add_deployment(APP_NAMESPACE, "player", replicas=3, image="registry.example/player:2.0")
    config = KubernetesConfig(
        contexts=tuple(kube_regions.contexts), kubeconfig=str(kube_regions.kubeconfig)
    )
    kube = KubeClusters(config, {})
    ctx = context(real_backends(kubernetes=kube))
    back = KubernetesPatchAction(
        kind="kubernetes-patch",
        context="prod-us-east",
        namespace=APP_NAMESPACE,
        api_version="apps/v1",
        resource="deployments",
        name="player",
        patch={
            "spec": {
                "template": {
                    "spec": {
                        "containers": [{"name": "player", "image": "registry.example/player:1.9"}]
                    }
                }
            }
        },
        patch_type="strategic",
    )
    try:
        preview = await step_action(back, ctx).preview()
        assert "/apis/apps/v1/namespaces/musicconnect/deployments/player" in preview
        assert east.get("deployments", "player", APP_NAMESPACE)["spec"]["template"]["spec"][
            "containers"
        ][0]["image"].endswith(":2.0"), "a preview must change nothing"
        lines = await run(back, ctx)
        scale = KubernetesPatchAction(
            kind="kubernetes-patch",
            context="prod-us-east",
            namespace=APP_NAMESPACE,
            api_version="apps/v1",
            resource="deployments",
            name="player",
            patch={"spec": {"replicas": 0}},
        )
        await run(scale, ctx)
        missing = KubernetesPatchAction(**{**scale.__dict__, "name": "nope"})
        with pytest.raises(ActionFailed, match=r"NotFound|not found"):
            await run(missing, ctx)
    finally:
        await kube.close()
    dep = east.get("deployments", "player", APP_NAMESPACE)
    container = dep["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "registry.example/player:1.9"
    assert container["ports"] == [{"containerPort": 8080, "protocol": "TCP"}]  # merged by name
    assert dep["spec"]["replicas"] == 0
    assert [ct for _, ct, _ in east.patches] == [
        "application/strategic-merge-patch+json",
        "application/merge-patch+json",
    ]
    assert any("patch in place" in line for line in lines)
    west = kube_regions["prod-eu-west"]
    assert not west.patches  # only the named context


# ---------------------------------------------------------------- webhook
class Receiver:
    """A loopback webhook receiver that records what it is sent."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.requests: list[dict[str, Any]] = []
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(
            {
                "method": request.method,
                "path": request.path,
                "headers": dict(request.headers),
                "body": await request.text(),
            }
        )
        return web.Response(status=self.status, text="maintenance on")

    async def __aenter__(self) -> Receiver:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.runner is not None
        await self.runner.cleanup()


async def test_webhook_steps_hit_a_loopback_receiver_and_keep_secrets_out():
    secret = "s3cret-hook-token"
    backends = real_backends(env={"OPS_HOOK_TOKEN": secret})
    ctx = context(backends)
    async with Receiver() as receiver:
        hook = WebhookAction(
            kind="webhook",
            url=f"{receiver.url}/maintenance",
            method="POST",
            headers={"X-Source": "tminus"},
            headers_env={"Authorization": "OPS_HOOK_TOKEN"},
            body='{"on": true}',
        )
        preview = await step_action(hook, ctx).preview()
        assert receiver.requests == []  # the dry run sends nothing
        assert secret not in preview and "Authorization from $OPS_HOOK_TOKEN" in preview
        lines = await run(hook, ctx)
        receiver.status = 503
        with pytest.raises(ActionFailed, match="answered 503"):
            await run(hook, ctx)
    await backends.close()
    first = receiver.requests[0]
    assert first["method"] == "POST" and first["path"] == "/maintenance"
    assert first["headers"]["Authorization"] == secret
    assert first["headers"]["X-Source"] == "tminus" and first["body"] == '{"on": true}'
    assert lines[0].endswith("-> 200")
    assert secret not in " ".join([*lines, preview])


async def test_webhook_without_its_secret_fails_before_sending():
    ctx = context(real_backends(env={}))
    async with Receiver() as receiver:
        hook = WebhookAction(
            kind="webhook", url=receiver.url, headers_env={"Authorization": "OPS_HOOK_TOKEN"}
        )
        with pytest.raises(ActionFailed, match="OPS_HOOK_TOKEN is not set"):
            await run(hook, ctx)
    assert receiver.requests == []


# ---------------------------------------------------------------- command
def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie is dead, awaiting its reaper


async def test_command_timeout_kills_every_descendant(tmp_path: Path):
    pids = tmp_path / "pids"
    script = (
        f"sleep 300 & echo $! >> {pids}; "
        f"(sleep 300 & echo $! >> {pids}; (sleep 300 & echo $! >> {pids}; wait) & wait) & "
        "echo started; wait"
    )
    ctx = context(real_backends())
    action = CommandAction(kind="command", argv=("sh", "-c", script), timeout=timedelta(seconds=1))
    started = time.monotonic()
    with pytest.raises(ActionFailed, match="timed out after 1s"):
        await run(action, ctx)
    assert time.monotonic() - started < 10
    deadline = time.monotonic() + 5
    found = [int(p) for p in pids.read_text().split()]
    assert len(found) == 3
    while any(_alive(p) for p in found) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [p for p in found if _alive(p)], "a descendant survived the timeout"


async def test_command_output_and_exit_code():
    ctx = context(real_backends())
    ok = await run(CommandAction(kind="command", argv=("echo", "caches purged")), ctx)
    assert ok[0] == "caches purged" and ok[-1].startswith("exit 0")
    with pytest.raises(ActionFailed, match="exit 3"):
        await run(CommandAction(kind="command", argv=("sh", "-c", "exit 3")), ctx)
    assert os.environ.get("TMINUS_HOME")  # the suite's own home, never the user's


# ---------------------------------------------------------------- verify and dry run
async def test_verify_fails_when_the_time_limit_ends_and_passes_when_healthy(tmp_path):
    plan = default_plan()
    assert plan.backends.demo is not None
    bad = make_world(
        type(plan.backends.demo)(scenario="bad-release"),
        plan.launch.t0,
        FrozenClock(plan.launch.t0),
    )
    bad.set_weight(50)
    assert isinstance(bad.clock, FrozenClock)
    bad.clock.advance(120)  # two minutes of half the traffic on the bad version
    session = SessionWriter(tmp_path / "v.jsonl", resume=False)
    engine = ConsoleEngine(plan, build_backends(plan, world=bad), session=session, clock=bad.clock)
    verify = VerifyAction(
        kind="verify",
        metrics=("error_rate",),
        checks=("error-rate-0-1",),
        within=timedelta(minutes=1),
        every=timedelta(seconds=20),
    )
    lines: list[str] = []
    with pytest.raises(ActionFailed, match="not passing after 60s"):
        await step_action(verify, engine.action_context()).run(lines.append)
    assert len([x for x in lines if x.startswith("round")]) == 4  # bounded: 60s / 20s + 1
    bad.set_weight(0)
    bad.clock.advance(120)  # the one-minute error window has only the old version now
    lines.clear()
    await step_action(verify, engine.action_context()).run(lines.append)
    assert lines[-1] == "all passed"
    session.close()
    finished = [e for e in load_events(session.path).events if e.type == "check.finished"]
    assert finished, "the named checks run through the check runner and are logged"


async def test_dry_run_changes_nothing_and_records_nothing(tmp_path):
    plan = default_plan()
    assert plan.backends.demo is not None
    world = make_world(plan.backends.demo, plan.launch.t0, FrozenClock(plan.launch.t0))
    world.set_weight(50)
    session = SessionWriter(tmp_path / "d.jsonl", resume=False)
    engine = ConsoleEngine(
        plan, build_backends(plan, world=world), session=session, clock=world.clock
    )
    preview = await engine.rollback.preview()
    session.close()
    texts = {step.id: text for step, text in preview}
    assert texts["enable-maintenance-mode"] == "demo world: maintenance-on"
    assert "from 50% to 0%" in texts["route-traffic-to-previous-version"]
    assert "dangerous: asks again" in texts["restore-database-from-backup-if-needed"]
    assert texts["communicate-status-to-users"].startswith("a person does it")
    assert world.weight == 50 and world.effects == [] and not world.maintenance
    assert [e.type for e in load_events(session.path).events] == ["session.closed"]
