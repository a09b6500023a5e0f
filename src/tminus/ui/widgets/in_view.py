"""Whether a widget is really visible: inside the screen and its container's viewport.

Textual's `is_on_screen` is true for every widget in the layout, including one scrolled
far out of its container's view: on a Metrics tab of 100 panels it was true for all 100,
and every tick redrew all of them.

The answer is read from the compositor's map of what it paints (as Textual's own scrolling
code does), not from `Screen.find_widget`: for a widget outside that map, find_widget lays
out the whole screen again whenever anything off screen refreshed since, a layout of every
panel of a 100-metric plan, and the once-a-second ticker asked it for each of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from textual.dom import NoScreen
from textual.widget import Widget

W = TypeVar("W", bound=Widget)


def in_view(widget: Widget) -> bool:
    try:
        screen = widget.screen
    except NoScreen:
        return False
    return widget in screen._compositor.visible_widgets


def in_view_of(container: Widget, widgets: Iterable[W]) -> list[W]:
    """Those of `widgets` (on `container`'s screen) in view: one lookup of the screen."""
    try:
        shown = container.screen._compositor.visible_widgets
    except NoScreen:
        return []
    return [w for w in widgets if w in shown]
