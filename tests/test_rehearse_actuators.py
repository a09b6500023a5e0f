"""`tminus rehearse` previews every rollout step through the plan's own actuator and every
rollback step through its step action's own `preview()` (the code the console's confirm
and rollback screens show), and changes nothing: the Kubernetes fixture server (an
API-compatible test fixture, not a real kube-apiserver) logs only reads, a loopback
webhook receiver is only asked whether it is there, and no command is run."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from tminus.actions.steps import ActionContext, step_action
from tminus.backends.factory import build_backends
from tminus.cli import main
from tminus.core.clock import SystemClock
from tminus.plan.loader import load_plan

from fixtures.receivers import WebhookReceiver

NS = "musicconnect"
BACK = '[[rollback.steps]]\ntitle = "Traffic back"\naction = { kind = "rollout", weight = 0 }\n'
HEAD = """
[launch]
name = "MusicConnect"
t0 = 2026-12-04T16:00:00Z
{backends}
[[phases]]
id = "pre"
title = "Pre-Launch"
at = "-7d"
  [[phases.sections]]
  title = "People"
    [[phases.sections.items]]
    title = "Backups restored"
    manual = true
"""


def rehearse(tmp_path: Path, text: str, capsys: Any) -> tuple[int, dict[str, Any], Path]:
    plan = tmp_path / "plan.toml"
    plan.write_text(text)
    code = main(["rehearse", str(plan), "--json"])
    return code, json.loads(capsys.readouterr().out), plan


def finding(report: dict[str, Any], area: str, title: str) -> dict[str, Any]:
    return next(f for f in report["findings"] if f["area"] == area and f["title"] == title)


async def step_previews(plan_path: Path) -> list[str]:
    """What each rollback step's own action previews (no rollout: those need the actuator)."""
    plan = load_plan(str(plan_path))
    backends = build_backends(plan)

    async def record(*_a: Any, **_k: Any) -> None:
        raise AssertionError("a preview records nothing")

    ctx = ActionContext(plan=plan, backends=backends, clock=SystemClock(), record=record)
    try:
        return [
            await step_action(s.action, ctx).preview()
            for s in plan.rollback.steps
            if s.action is not None and s.action.kind != "rollout"
        ]
    finally:
        await backends.close()


def test_gateway_api_previews_through_the_actuator_and_only_reads(tmp_path, kube_regions, capsys):
    before = {c: cl.get("httproutes", "api", NS) for c, cl in kube_regions.clusters.items()}
    text = HEAD.format(
        backends=f'[backends.kubernetes]\ncontexts = ["prod-us-east", "prod-eu-west"]\n'
        f'kubeconfig = "{kube_regions.kubeconfig}"\n'
    ) + (
        "[rollout]\nsteps = [5, 50, 100]\n"
        '[rollout.actuator]\nkind = "gateway-api"\ncontexts = ["prod-us-east", "prod-eu-west"]\n'
        f'namespace = "{NS}"\nroute = "api"\nstable = "api-stable"\ncanary = "api-canary"\n'
        + BACK
        + '[[rollback.steps]]\ntitle = "Pause the API"\n[rollback.steps.action]\n'
        f'kind = "kubernetes-patch"\ncontext = "prod-eu-west"\nnamespace = "{NS}"\n'
        'api_version = "apps/v1"\nresource = "deployments"\nname = "api"\n'
        "patch = { spec = { paused = true } }\n"
    )
    code, report, plan = rehearse(tmp_path, text, capsys)
    assert code == 0, report["blockers"]
    rollout = finding(report, "rollout", "actuator gateway-api")
    assert rollout["status"] == "ok", rollout
    # the actuator's own Change lines, per step and per region
    for weight in (5, 50, 100):
        lines = [x for x in rollout["preview"] if x.startswith(f"{weight}%: ")]
        assert len(lines) == 2, rollout["preview"]
        assert all("HTTPRoute" in x and f"{NS}/api" in x for x in lines), lines
        assert all(f'"value": {weight} ' in x and "weight" in x for x in lines), lines
    # the rollback `rollout` step's own preview: it read the weight back, then the change
    back = finding(report, "rollback", "Traffic back")["preview"]
    assert back[0] == "set the canary weight from 0% to 0%, then read it back", back
    assert any("prod-eu-west: HTTPRoute" in x for x in back), back
    pause = finding(report, "rollback", "Pause the API")["preview"]
    assert pause == await_previews(plan)[0].splitlines()
    assert '"paused": true' in pause[0]
    for ctx, cluster in kube_regions.clusters.items():
        assert {m for m, _ in cluster.requests} == {"GET"}, (ctx, cluster.requests)
        assert any("/httproutes/api" in p for _, p in cluster.requests)
        assert cluster.patches == []
        assert cluster.get("httproutes", "api", NS) == before[ctx]


def await_previews(plan: Path) -> list[str]:
    import asyncio

    return asyncio.run(step_previews(plan))


def test_webhook_actuator_and_step_send_nothing(tmp_path, capsys):
    with WebhookReceiver() as hook:
        text = HEAD.format(backends="") + (
            "[rollout]\nsteps = [10, 50]\n"
            f'[rollout.actuator]\nkind = "webhook"\nurl = "{hook.url}/flag"\n'
            'headers_env = { Authorization = "FLAG_TOKEN" }\n'
            + BACK
            + '[[rollback.steps]]\ntitle = "Maintenance page"\n[rollback.steps.action]\n'
            f'kind = "webhook"\nurl = "{hook.url}/maintenance"\nbody = \'{{"on": true}}\'\n'
        )
        code, report, plan = rehearse(tmp_path, text, capsys)
        rollout = finding(report, "rollout", "actuator webhook")
        # no read_url: the weight cannot be read back, which is worth a warning
        assert rollout["status"] == "warn", rollout
        assert any(x.startswith("10%: ") and '"weight": 10' in x for x in rollout["preview"])
        assert any("Authorization: $FLAG_TOKEN" in x for x in rollout["preview"])  # masked
        maintenance = finding(report, "rollback", "Maintenance page")
        assert maintenance["status"] == "ok", maintenance
        assert maintenance["preview"] == await_previews(plan)[0].splitlines()
        back = finding(report, "rollback", "Traffic back")["preview"]
        assert back[0] == (
            "set the canary weight from default unreadable to 0%, then read it back"
        ), back
        assert code == 0, report["blockers"]
        # asked whether they are there, never sent anything
        assert {(r.method, r.path) for r in hook.requests} == {
            ("HEAD", "/flag"),
            ("HEAD", "/maintenance"),
        }, hook.requests


def test_command_actuator_and_step_are_not_run(tmp_path, capsys):
    ran = tmp_path / "ran"
    script = tmp_path / "set_weight.py"
    script.write_text(f"open({str(ran)!r}, 'a').write(' '.join(__import__('sys').argv))\n")
    text = HEAD.format(backends="") + (
        "[rollout]\nsteps = [5, 100]\n"
        '[rollout.actuator]\nkind = "command"\n'
        f"argv = [{json.dumps(sys.executable)}, {json.dumps(str(script))}, "
        '"--weight={weight}"]\n'
        f'read_argv = [{json.dumps(sys.executable)}, "-c", "print(5)"]\n'
        + BACK
        + '[[rollback.steps]]\ntitle = "Flush the CDN"\n[rollback.steps.action]\n'
        f'kind = "command"\nargv = [{json.dumps(sys.executable)}, {json.dumps(str(script))}, '
        '"--flush"]\n'
    )
    code, report, plan = rehearse(tmp_path, text, capsys)
    assert code == 0, report["blockers"]
    rollout = finding(report, "rollout", "actuator command")
    assert rollout["status"] == "ok", rollout
    assert any(x.startswith("100%: ") and "--weight=100" in x for x in rollout["preview"])
    flush = finding(report, "rollback", "Flush the CDN")
    assert flush["preview"] == await_previews(plan)[0].splitlines()
    assert "--flush" in flush["preview"][0] and "timeout" in flush["preview"][0]
    back = finding(report, "rollback", "Traffic back")["preview"]
    assert back[0] == "set the canary weight from 5% to 0%, then read it back", back
    assert any("--weight=0" in x for x in back), back
    assert not ran.exists(), ran.read_text()  # neither the actuator nor the step ran
