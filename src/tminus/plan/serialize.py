"""Plan -> plain dicts: for `tminus plan show`, `--json`, and `tminus init` (TOML via tomli-w)."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from tminus.core.conditions import Condition
from tminus.core.durations import format_duration, format_offset

if TYPE_CHECKING:
    from tminus.plan.model import Plan


def to_raw(obj: Any, *, json: bool = False, skip_defaults: bool = False) -> Any:
    """Inverse of the loader: values a plan file would hold. None is dropped (TOML has none)."""
    if isinstance(obj, Condition):
        return obj.text
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(obj):
            if f.metadata.get("internal"):
                continue
            value = getattr(obj, f.name)
            if value is None:
                continue
            if skip_defaults and f.name not in ("kind", "id") and _is_default(f, value):
                continue
            key = f.metadata.get("key", f.name)
            if isinstance(value, timedelta):
                out[key] = (
                    format_offset(value)
                    if f.metadata.get("doc") == "offset"
                    else format_duration(value)
                )
            else:
                out[key] = to_raw(value, json=json, skip_defaults=skip_defaults)
        return out
    if isinstance(obj, timedelta):
        return format_duration(obj)
    if isinstance(obj, datetime):
        return obj.isoformat().replace("+00:00", "Z") if json else obj
    if isinstance(obj, tuple | list):
        return [to_raw(v, json=json, skip_defaults=skip_defaults) for v in obj]
    if isinstance(obj, dict):
        return {k: to_raw(v, json=json, skip_defaults=skip_defaults) for k, v in obj.items()}
    return obj


def _is_default(f: dataclasses.Field[Any], value: Any) -> bool:
    if f.default is not dataclasses.MISSING:
        return bool(value == f.default)
    if f.default_factory is not dataclasses.MISSING:
        return bool(value == f.default_factory())
    return False


def plan_to_dict(plan: Plan, *, json: bool = True) -> dict[str, Any]:
    raw = to_raw(plan, json=json)
    assert isinstance(raw, dict)
    return raw
