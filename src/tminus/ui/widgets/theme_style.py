"""Theme colours for Rich text that cells and lines build by hand.

`$success`-style names resolve against the active theme. Resolving builds every CSS variable
(~0.4 ms), and a checklist rebuild styles a hundred cells, so results are kept per theme.
"""

from __future__ import annotations

from textual.app import App

_cache: dict[tuple[str, str], str] = {}


def theme_style(app: App[object], style: str) -> str:
    """'$success' -> the active theme's colour for it; other styles pass through."""
    if not style.startswith("$"):
        return style
    key = (app.theme, style)
    resolved = _cache.get(key)
    if resolved is None:
        resolved = app.get_css_variables().get(style[1:], "")
        _cache[key] = resolved
    return resolved
