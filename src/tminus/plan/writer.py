"""`tminus init`: the default plan as commented TOML, pointed at placeholder real backends."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import tomli_w

from tminus.plan.model import (
    BackendsConfig,
    DemoAction,
    DemoActuator,
    IngressNginxActuator,
    KubernetesConfig,
    Plan,
    PrometheusConfig,
    Rollback,
    WebhookAction,
)
from tminus.plan.serialize import to_raw

REGIONS = ("prod-us-east", "prod-eu-west", "prod-ap-south")

_HEADER = """\
# tminus launch plan: checklist as code. Edit the placeholders, then:
#   tminus validate {path}     check this file (every problem, with its line)
#   tminus check {path}        run the automated checks headless
#   tminus run {path}          open the console
# Secrets never live here: name environment variables (token_env, headers_env, env_from).
# Durations: "500ms", "30s", "10m", "6h", "7d". Offsets from T-0: "-7d", "-6h", "0", "+2h".
# Conditions: status == 200, days_left > 30, value < 0.1%, response_time < 500ms, and/or/not.
"""

_COMMENTS = {
    "launch": "The launch: its name, T-0 (with a time zone) and environment.",
    "backends": (
        "Where checks and metrics look. Placeholders: point them at your Prometheus\n"
        "(or Thanos/Mimir/VictoriaMetrics) and your kubeconfig contexts, one per region."
    ),
    "settings": "Engine defaults: parallel checks, per-check timeout, metric poll interval.",
    "phases": (
        "Phases at offsets from T-0, with sections and items. An item is manual = true\n"
        "(a person confirms) or has a check = { kind = ... }: http, tls, dns, tcp,\n"
        "prometheus, kubernetes, command. blocking = false items do not hold a sign-off."
    ),
    "metrics": "Metrics polled for the sparklines; ok/warn ranges colour them.",
    "triggers": "Immediate rollback triggers: a metric condition held for a time, or manual.",
    "rollout": "Canary steps in percent, the bake time between steps, and the actuator.",
    "rollback": "Rollback steps in order; dangerous steps ask again before they run.",
    "contacts": "Emergency contacts.",
    "comms": "Communication plan.",
    "success_criteria": "Success criteria, measured from metrics or confirmed by a person.",
}


def placeholder_plan(plan: Plan) -> Plan:
    """The same plan aimed at real (placeholder) backends instead of the demo world."""
    backends = BackendsConfig(
        prometheus=PrometheusConfig(
            url="https://prometheus.musicconnect.example",
            token_env="TMINUS_PROMETHEUS_TOKEN",
        ),
        kubernetes=KubernetesConfig(contexts=REGIONS),
    )
    rollout = plan.rollout
    if rollout is not None and isinstance(rollout.actuator, DemoActuator):
        rollout = dataclasses.replace(
            rollout,
            actuator=IngressNginxActuator(
                kind="ingress-nginx",
                context=REGIONS[0],
                namespace="web",
                ingress="musicconnect-canary",
            ),
        )
    steps = []
    for step in plan.rollback.steps:
        if isinstance(step.action, DemoAction):
            effect = step.action.effect or step.id
            step = dataclasses.replace(
                step,
                action=WebhookAction(
                    kind="webhook",
                    url=f"https://ops.musicconnect.example/hooks/{effect}",
                    headers_env={"Authorization": "TMINUS_OPS_HOOK_TOKEN"},
                ),
            )
        steps.append(step)
    return dataclasses.replace(
        plan, backends=backends, rollout=rollout, rollback=Rollback(steps=tuple(steps))
    )


def plan_to_toml(plan: Plan, path_hint: str = "plan.toml") -> str:
    raw = to_raw(plan, skip_defaults=True)
    assert isinstance(raw, dict)
    raw["launch"]["environment"] = plan.launch.environment  # a default worth seeing
    # tomli-w writes short arrays of tables inline at the top of the file; top-level
    # lists of flat tables are written here as [[key]] blocks, in the plan's order
    blocks: list[str] = []
    for key, value in raw.items():
        if value in ({}, []):
            continue
        if isinstance(value, list) and value and all(_flat(v) for v in value):
            blocks.append("\n".join(f"[[{key}]]\n{tomli_w.dumps(v)}" for v in value))
        else:
            blocks.append(tomli_w.dumps({key: value}))
    out: list[str] = []
    pending = dict(_COMMENTS)
    for line in "\n".join(blocks).splitlines():
        for key in list(pending):
            if re.match(rf"^(\[\[?{re.escape(key)}[\].]|{re.escape(key)} = )", line):
                if out and out[-1] != "":
                    out.append("")
                out.extend(f"# {c}" for c in pending.pop(key).splitlines())
        out.append(line)
    return _HEADER.format(path=path_hint) + "\n" + "\n".join(out) + "\n"


def _flat(value: object) -> bool:
    return isinstance(value, dict) and not any(isinstance(v, dict | list) for v in value.values())


def init_text(plan: Plan, path_hint: str = "plan.toml") -> str:
    return plan_to_toml(placeholder_plan(plan), path_hint)


def dump_dict(data: dict[str, Any]) -> str:
    return tomli_w.dumps(data)
