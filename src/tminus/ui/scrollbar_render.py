"""Scrollbars drawn in whole cells: a thumb of coloured blanks and nothing else.

Textual ends a thumb with a partial block (▁…▇, ▉…▏) for eighth-of-a-cell smoothness.
On a dark theme the thumb's colour barely shows, so those two glyphs at the right edge
read as stray sparkline characters ("▅▅" at columns 79-80 at 80x24, a "▆▆" above the
footer at 60x20), and a terminal's text capture shows nothing else of the bar. Whole
cells cost a little smoothness when the mouse drags the thumb and nothing else.
"""

from __future__ import annotations

from typing import ClassVar

from textual.scrollbar import ScrollBar, ScrollBarRender


class WholeCellScrollBarRender(ScrollBarRender):
    # a blank end glyph is skipped: the thumb's first and last cells stay whole
    VERTICAL_BARS: ClassVar[list[str]] = [" "] * 8
    HORIZONTAL_BARS: ClassVar[list[str]] = [" "] * 8


def use_whole_cell_scrollbars() -> None:
    """Every scrollbar of the process (Textual's documented hook is a class attribute)."""
    ScrollBar.renderer = WholeCellScrollBarRender
