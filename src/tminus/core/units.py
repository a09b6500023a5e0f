"""Metric values as people read them, by the metric's unit (console, status page, mail)."""

from __future__ import annotations

import math


def format_metric(value: float | None, unit: str) -> str:
    if value is None or math.isnan(value):
        return "-"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if unit == "ratio":
        pct = value * 100
        return f"{pct:.3g}%" if abs(pct) < 10 else f"{pct:.1f}%"
    if unit == "seconds":
        return f"{value * 1000:.0f}ms" if abs(value) < 1 else f"{value:.2f}s"
    if unit == "per_second":
        return f"{value / 1000:.1f}k/s" if abs(value) >= 1000 else f"{value:.3g}/s"
    if unit == "bytes":
        for suffix in ("B", "KB", "MB", "GB"):
            if abs(value) < 1024:
                return f"{value:.3g}{suffix}"
            value /= 1024
        return f"{value:.3g}TB"
    if unit == "count":
        # a small count that is not whole (a rate over a window: 11.7 uploads) keeps its
        # digits: "12" read as above a scale of "11.5-11.7"
        if abs(value) < 100 and value != round(value):
            return f"{value:.3g}"
        return f"{value:,.0f}"
    return f"{value:.4g}"
