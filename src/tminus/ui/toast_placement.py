"""Toasts where they cover none of the text they announce.

Textual stacks toasts at the bottom right, which at 80 columns is the detail pane: the
failure a "Running 1 check" toast announces was hidden under it. After each notification
the stack moves up to the lowest place at the right edge (at the left one when a wide
screen's detail pane fills the right) that covers none of the header, the trigger banner,
the detail pane, the rollout's status or the selected checklist row.
"""

from __future__ import annotations

from typing import Any

from textual.css.query import NoMatches
from textual.geometry import Region, Size
from textual.screen import Screen
from textual.widgets._toast import Toast, ToastHolder, ToastRack

from tminus.ui.widgets.checklist import Checklist

# the widgets that hold what a toast announces (failures, triggers, the rollout's gate)
KEPT = "LaunchHeader, TriggerBanner, ItemDetail, RolloutView"
FOOTER = 1  # the key bar stays in sight too


def kept_regions(screen: Screen[Any], *, rows: bool = True) -> list[Region]:
    """The screen's regions a toast must not cover, as laid out now (`rows`: with the
    selected checklist row)."""
    regions = [w.region for w in screen.query(KEPT) if w.region.area and w.visible]
    for checklist in screen.query(Checklist) if rows else ():
        if checklist.region.area and checklist.row_count:
            row = checklist.cursor_row - round(checklist.scroll_y)
            y = checklist.region.y + checklist.header_height + row
            regions.append(Region(checklist.region.x, y, checklist.region.width, 1))
    return regions


def free_bottom_margin(
    kept: list[Region], screen: Size, width: int, height: int, *, left: bool = False
) -> int | None:
    """Rows below a `width` x `height` stack at the right edge (`left`: the left one),
    placed as low as it can go covering none of `kept`; None when no place is free."""
    for bottom in range(screen.height - FOOTER, height - 1, -1):
        place = Region(0 if left else screen.width - width, bottom - height, width, height)
        if not any(place.overlaps(region) for region in kept):
            return screen.height - bottom
    return None


def place_toasts(screen: Screen[Any], shown: int) -> bool:
    """Move the screen's toasts off the kept text; False while its `shown` toasts are
    not all mounted and laid out yet."""
    try:
        rack = screen.get_child_by_type(ToastRack)
    except NoMatches:
        return True
    toasts = list(rack.query(Toast))
    if len(toasts) < shown or not all(t.region.area for t in toasts):
        return False
    if not toasts:
        return True
    width = max(t.region.width for t in toasts)
    # the stack, each toast with the row above it (Textual's margin between toasts)
    height = max(t.region.bottom for t in toasts) - min(t.region.y for t in toasts) + 1
    kept = kept_regions(screen)
    margin, side = free_bottom_margin(kept, screen.size, width, height), "right"
    if margin is None:  # a wide screen's detail pane fills the right edge: the left one
        margin, side = free_bottom_margin(kept, screen.size, width, height, left=True), "left"
    if margin is None:  # no room beside the selected row too: keep at least the panes
        kept = kept_regions(screen, rows=False)
        margin, side = free_bottom_margin(kept, screen.size, width, height), "right"
    rack.styles.margin = (0, 0, FOOTER if margin is None else margin, 0)
    for holder in rack.query(ToastHolder):
        holder.styles.align_horizontal = side
    return True
