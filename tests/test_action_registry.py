"""One registry of rollback step actions, beside their specs: every kind a plan may name
has an implementation with a preview and a run, and nothing else is registered."""

from __future__ import annotations

import importlib

from tminus.actions.steps import REGISTRY
from tminus.plan.model import Action


def test_every_action_kind_has_an_implementation():
    assert set(Action.KINDS) == set(REGISTRY)
    for kind, target in REGISTRY.items():
        module, _, name = target.partition(":")
        cls = getattr(importlib.import_module(module), name)
        assert callable(getattr(cls, "preview", None)), kind
        assert callable(getattr(cls, "run", None)), kind
