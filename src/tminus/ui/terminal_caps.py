"""What the commander's terminal can show: UTF-8 or plain ASCII, and how many colours.

Bastion hosts run with `LANG=C`, an old `TERM`, or both. A non-UTF-8 locale or a
terminal that predates Unicode gets ASCII for every symbol, sparkline and box (`--ascii`
forces it); `TERM=dumb` and the VT terminals get no colour at all, and a terminal that
does not announce 24-bit colour never receives it. `apply` runs before Textual is
imported (Textual reads its colour system once, at import); the ASCII itself is a line
filter over everything drawn (`ui/ascii_filter.py`), so no screen can forget it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping

from tminus.core.records import record

# terminals without Unicode line drawing or colour
NO_COLOUR_TERMS = ("dumb", "unknown", "vt52", "vt100", "vt102", "vt220", "vt320")
ASCII_TERMS = (*NO_COLOUR_TERMS, "linux-m", "ansi")


@record(frozen=True)
class TerminalCaps:
    """What the terminal can show: Unicode or ASCII, and which colours."""

    ascii: bool
    colour: bool  # any colour at all
    color_system: str  # what Textual may use: "truecolor", "256", "standard"


def _locale(environ: Mapping[str, str]) -> str:
    # the first of these that is set decides, as setlocale(LC_CTYPE, "") would
    for name in ("LC_ALL", "LC_CTYPE", "LANG"):
        value = environ.get(name, "")
        if value:
            return value
    return ""


def utf8_locale(environ: Mapping[str, str]) -> bool:
    loc = _locale(environ).lower().replace("-", "")
    return "utf8" in loc


def detect(environ: Mapping[str, str] | None = None, *, force_ascii: bool = False) -> TerminalCaps:
    env = os.environ if environ is None else environ
    term = env.get("TERM", "").strip().lower()
    colour = term not in NO_COLOUR_TERMS and term != ""
    colorterm = env.get("COLORTERM", "").strip().lower()
    if not colour:
        system = "standard"
    elif colorterm in ("truecolor", "24bit"):
        system = "truecolor"
    elif term.endswith(("256color", "256colour")):
        system = "256"
    else:
        system = "standard"
    plain = force_ascii or not utf8_locale(env) or term in ASCII_TERMS
    return TerminalCaps(ascii=plain, colour=colour, color_system=system)


def apply(caps: TerminalCaps, environ: MutableMapping[str, str] | None = None) -> None:
    """Tell Textual, before it is imported, the colour depth to use. A user's own
    TEXTUAL_COLOR_SYSTEM or NO_COLOR wins."""
    env = os.environ if environ is None else environ
    env.setdefault("TEXTUAL_COLOR_SYSTEM", caps.color_system)
    if not caps.colour:
        env.setdefault("NO_COLOR", "1")  # the monochrome theme, and no colour codes at all
    if caps.ascii:
        env["TMINUS_ASCII"] = "1"  # the app reads it: one console per process


def ascii_requested(environ: Mapping[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    return env.get("TMINUS_ASCII", "") == "1"
