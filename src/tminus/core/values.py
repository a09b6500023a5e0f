"""A check's headline value as a person reads it, with its unit: one place, so the
console's Value column, the detail pane and `tminus check` say the same thing ("2 ms",
"75 days", "exit 0"). Metric values by their plan unit are in `core.units`.
"""

from __future__ import annotations

import math
from typing import Any


def format_seconds(seconds: float) -> str:
    """A short duration: "2 ms", "1.4 s", "3 m"."""
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} m"
    return f"{seconds / 3600:.1f} h"


def _count(n: Any, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def format_check_value(kind: str, value: Any, values: dict[str, Any] | None = None) -> str:
    """The headline value of a check result, with its unit (what the check measured).
    `values` (what the condition read) tells a burst of requests from a single one."""
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
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
