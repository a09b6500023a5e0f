"""tminus themes, registered once on the App. `monochrome` is used when NO_COLOR is set."""

from __future__ import annotations

from textual.theme import Theme

DARK = Theme(
    name="tminus-dark",
    primary="#4FA3E0",
    secondary="#7E8BA3",
    accent="#E0A84F",
    warning="#E0C04F",
    error="#E05B4F",
    success="#5FBF77",
    foreground="#D8DEE9",
    background="#14171C",
    surface="#1B1F26",
    panel="#232833",
    dark=True,
    variables={"env-production": "#C0392B", "env-production-text": "#FFFFFF"},
)

LIGHT = Theme(
    name="tminus-light",
    primary="#1F6FB2",
    secondary="#56627A",
    accent="#A86A10",
    warning="#9A7400",
    error="#B3261E",
    success="#2E7D32",
    foreground="#1B1F26",
    background="#F7F8FA",
    surface="#ECEEF2",
    panel="#DDE1E8",
    dark=False,
    variables={"env-production": "#B3261E", "env-production-text": "#FFFFFF"},
)

HIGH_CONTRAST = Theme(
    name="tminus-high-contrast",
    primary="#00BFFF",
    secondary="#FFFFFF",
    accent="#FFFF00",
    warning="#FFFF00",
    error="#FF3030",
    success="#00FF00",
    foreground="#FFFFFF",
    background="#000000",
    surface="#000000",
    panel="#1A1A1A",
    dark=True,
    variables={"env-production": "#FF0000", "env-production-text": "#FFFFFF"},
)

# Few distinct colours: symbols carry the meaning, and fewer colour codes mean fewer
# bytes over a thin SSH link.
MONOCHROME = Theme(
    name="tminus-monochrome",
    primary="#FFFFFF",
    secondary="#C0C0C0",
    accent="#FFFFFF",
    warning="#FFFFFF",
    error="#FFFFFF",
    success="#FFFFFF",
    foreground="#E0E0E0",
    background="#000000",
    surface="#000000",
    panel="#000000",
    dark=True,
    # the badge inverts instead of colouring: black on white (white on white was unreadable)
    variables={"env-production": "#FFFFFF", "env-production-text": "#000000"},
)

THEMES = (DARK, LIGHT, HIGH_CONTRAST, MONOCHROME)
DEFAULT_THEME = DARK.name
NO_COLOR_THEME = MONOCHROME.name
