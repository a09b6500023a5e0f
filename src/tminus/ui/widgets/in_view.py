"""Whether a widget is really visible: inside the screen and its container's viewport.

Textual's `is_on_screen` is true for every widget in the layout, including one scrolled
far out of its container's view: on a Metrics tab of 100 panels it was true for all 100,
and every tick redrew all of them.
"""

from __future__ import annotations

from textual import errors
from textual.dom import NoScreen
from textual.widget import Widget


def in_view(widget: Widget) -> bool:
    try:
        screen = widget.screen
        geometry = screen.find_widget(widget)
    except (NoScreen, errors.NoWidget):
        return False
    region = geometry.region
    return region.overlaps(geometry.clip) and screen.region.overlaps(region)
