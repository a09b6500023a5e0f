"""A check's headline value as a person reads it, with its unit: one place, so the
console's Value column, the detail pane and `tminus check` say the same thing ("2 ms",
"75 days", "exit 0"). Metric values by their plan unit are in `core.units`.
"""

from __future__ import annotations

import math
import re
from typing import Any

# `value` compared with a number that carries a unit: "value < 500ms", "value >= 99.9%"
_VALUE_UNIT = re.compile(
    r"\bvalue\s*(?:<=|>=|==|!=|<|>)\s*-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(ms|%|s|m|h|d|w)(?![\w])"
)


def format_seconds(seconds: float) -> str:
    """A short duration: "2 ms", "1.4 s", "3 m"."""
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} m"
    return f"{seconds / 3600:.1f} h"


def value_unit(expect: str) -> str:
    """The unit a check's condition reads its bare `value` in: "seconds" for a duration
    ("value < 500ms"; conditions turn it into seconds), "ratio" for a percentage ("value
    >= 99.9%": 0.999), else "" (a count, or nothing said)."""
    m = _VALUE_UNIT.search(expect)
    if m is None:
        return ""
    return "ratio" if m.group(1) == "%" else "seconds"


def _count(n: Any, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def format_check_value(
    kind: str, value: Any, values: dict[str, Any] | None = None, expect: str = ""
) -> str:
    """The headline value of a check result, with its unit (what the check measured).
    `values` (what the condition read) tells a burst of requests from a single one; a
    query's number takes the unit its condition compares it in (`expect`): "322 ms"
    where "value < 500ms" judged 0.322."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, float) and math.isnan(value):
        return "no data"
    if kind == "tcp":
        return format_seconds(float(value))
    if kind == "tls":
        days = float(value)
        return f"expired {-days:.0f} days ago" if days < 0 else _count(round(days), "day", "days")
    if kind == "command":
        return f"exit {value}"
    if kind == "dns":
        return _count(value, "answer", "answers")
    if kind == "http":
        count = (values or {}).get("count", 1)
        if isinstance(count, int) and count > 1:
            return f"{value}/{count} limited"
        return f"HTTP {value}"
    unit = value_unit(expect) if kind == "prometheus" else ""
    if unit == "seconds":
        return format_seconds(float(value))
    if unit == "ratio":
        return f"{value * 100:.3g}%"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
