"""Rollback step actions: one module per kind, imported on first use.

A kind's module may pull in heavy libraries (kubernetes); none loads before a step of that
kind is previewed or run. Add a kind: a module with a class taking (spec, ctx), providing
`preview()` and `run(out)`, and a line in REGISTRY (see CONTRIBUTING.md).
"""

from __future__ import annotations

import importlib
from typing import Any

from tminus.actions.steps.base import ActionContext, ActionFailed, StepAction
from tminus.plan.model import Action

REGISTRY: dict[str, str] = {
    "rollout": "tminus.actions.steps.rollout_step:RolloutStep",
    "kubernetes-patch": "tminus.actions.steps.kubernetes_patch_step:KubernetesPatchStep",
    "webhook": "tminus.actions.steps.webhook_step:WebhookStep",
    "command": "tminus.actions.steps.command_step:CommandStep",
    "verify": "tminus.actions.steps.verify_step:VerifyStep",
    "demo": "tminus.actions.steps.demo_step:DemoStep",
}


def step_action(spec: Action, ctx: ActionContext) -> StepAction:
    kind = str(getattr(spec, "kind", ""))
    target = REGISTRY.get(kind)
    if target is None:
        raise ActionFailed(f"no rollback action of kind {kind!r}")
    module, _, name = target.partition(":")
    cls: Any = getattr(importlib.import_module(module), name)
    action: StepAction = cls(spec, ctx)
    return action


__all__ = ["REGISTRY", "ActionContext", "ActionFailed", "StepAction", "step_action"]
