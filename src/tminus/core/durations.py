"""Durations ("30s", "10m", "1h30m", "7d", "500ms") and T-0 offsets ("-7d", "0", "+2h")."""

from __future__ import annotations

import re
from datetime import timedelta

_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
# Anchored at one position and checked against a length cap: parsing stays linear in the
# input and can neither hang on a pathological string nor overflow a timedelta.
_PART = re.compile(r"(\d{1,12}(?:\.\d{1,9})?)(ms|s|m|h|d|w)")
MAX_TEXT = 64
MAX_DURATION = timedelta(days=3660)  # ten years: anything longer is a typo


class DurationError(ValueError):
    """A string that is not a duration; the message says what is expected."""


def parse_duration(text: str) -> timedelta:
    """Parse a non-negative duration such as "30s", "1h30m" or "500ms"."""
    if not isinstance(text, str):
        raise DurationError(f"expected a duration string like '30s', got {type(text).__name__}")
    s = text.strip()
    if s == "0":
        return timedelta(0)
    if len(s) > MAX_TEXT:
        raise DurationError(f"bad duration {_short(text)}: longer than {MAX_TEXT} characters")
    pos = 0
    total = 0.0
    while pos < len(s):
        m = _PART.match(s, pos)
        if m is None:
            break
        total += float(m.group(1)) * _UNIT_SECONDS[m.group(2)]
        pos = m.end()
    if pos == 0 or pos != len(s):
        raise DurationError(
            f"bad duration {_short(text)}: use a number and a unit (ms, s, m, h, d, w),"
            " e.g. '30s', '1h30m'"
        )
    if total > MAX_DURATION.total_seconds():
        raise DurationError(f"bad duration {_short(text)}: longer than ten years")
    return timedelta(seconds=total)


def _short(text: str) -> str:
    """The offending text, cut so one bad value cannot flood the terminal."""
    return repr(text) if len(text) <= 80 else f"{text[:60]!r}... ({len(text)} characters)"


def parse_offset(text: str) -> timedelta:
    """Parse an offset from T-0: "-7d" is seven days before, "+2h" or "2h" after, "0" at T-0."""
    if not isinstance(text, str):
        raise DurationError(f"expected an offset string like '-6h', got {type(text).__name__}")
    s = text.strip()
    if not s:
        raise DurationError("empty offset: use a signed duration from T-0, e.g. '-7d', '0', '+2h'")
    sign = 1
    if s[0] in "+-":
        sign = -1 if s[0] == "-" else 1
        s = s[1:]
    try:
        return sign * parse_duration(s)
    except DurationError:
        raise DurationError(
            f"bad offset {_short(text)}: use a signed duration from T-0,"
            " e.g. '-7d', '-6h', '0', '+2h'"
        ) from None


def format_duration(td: timedelta) -> str:
    """Render a duration compactly and so that parse_duration reads it back."""
    total_ms = round(td.total_seconds() * 1000)
    if total_ms == 0:
        return "0s"
    if total_ms % 1000:
        return f"{total_ms}ms"
    secs = total_ms // 1000
    out = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if secs >= size:
            out.append(f"{secs // size}{unit}")
            secs %= size
    return "".join(out)


def format_offset(td: timedelta) -> str:
    if td == timedelta(0):
        return "0"
    sign = "-" if td < timedelta(0) else "+"
    return sign + format_duration(abs(td))


def format_tminus(delta_seconds: float) -> str:
    """Clock text relative to T-0: 'T-6d 23:59:12' before, 'T+00:14:03' after."""
    sign = "-" if delta_seconds < 0 else "+"
    secs = int(abs(delta_seconds))
    days, rem = divmod(secs, 86400)
    h, rem = divmod(rem, 3600)
    m, s = divmod(rem, 60)
    day_part = f"{days}d " if days else ""
    return f"T{sign}{day_part}{h:02d}:{m:02d}:{s:02d}"


def phase_label(td: timedelta) -> str:
    """How a phase's offset reads in the console: 'T-7d', 'T-0', 'T+1d'."""
    return "T-0" if td == timedelta(0) else f"T{format_offset(td)}"
