"""Text that redraws only when it changed, and without a layout pass when its size did not.

Over a thin SSH link the bytes written are what the commander feels: a poll or a clock tick
that changes nothing writes nothing, and one that changes a line repaints that line, not
the screen around it (a layout pass repaints far more: ~400 B/s for the clock alone).
"""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import Static


class LiveText(Static):
    """A Static fed through `show`. `wraps=True` for free text whose wrapped height may
    change with any edit (it relayouts on every change); otherwise a layout pass happens
    only when the line count changes, or the longest line does for an auto-width widget."""

    def __init__(self, content: str | Text = "", *, wraps: bool = False, **kw: Any) -> None:
        super().__init__(content, **kw)
        self.wraps = wraps
        self._key: object = None
        self._shape: tuple[int, int] = _shape(content)

    def show(self, content: str | Text, key: object = None) -> bool:
        """Draw `content` unless `key` (by default the text itself) is what is shown.
        Returns whether it redrew."""
        if key is None:
            key = content if isinstance(content, str) else content.markup
        if key == self._key:
            return False
        self._key = key
        shape = _shape(content)
        width = self.styles.width
        auto_width = width is not None and width.is_auto
        relayout = (
            self.wraps or shape[0] != self._shape[0] or (auto_width and shape[1] != self._shape[1])
        )
        self._shape = shape
        self.update(content, layout=relayout)
        return True

    def forget(self) -> None:
        """Draw on the next `show` even if the text is the same (after a resize, say)."""
        self._key = None


def _shape(content: str | Text) -> tuple[int, int]:
    """(lines, longest line) of what the text shows; markup tags count, which only errs
    toward one layout too many."""
    plain = content.plain if isinstance(content, Text) else content
    if not plain:
        return (0, 0)
    lines = plain.split("\n")
    return (len(lines), max(cell_len(line) for line in lines))
