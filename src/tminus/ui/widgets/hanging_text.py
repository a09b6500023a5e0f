"""Text whose indented lines keep their indent when they wrap (ui/hanging.py), wrapped
again whenever its own width changes (a scrollbar that comes or goes included)."""

from __future__ import annotations

from textual.widgets import Static

from tminus.ui.hanging import hang_lines


class HangingText(Static):
    def __init__(self, markup: str = "", *, extra: int = 2, **kw: object) -> None:
        super().__init__(markup, **kw)  # type: ignore[arg-type]
        self.markup = markup
        self.extra = extra  # a wrapped line's indent past its own
        self._shown: tuple[str, int] | None = None

    def show(self, markup: str) -> None:
        self.markup = markup
        self._wrap()

    def on_resize(self) -> None:
        self._wrap()

    def _wrap(self) -> None:
        width = self.content_region.width
        if self._shown == (self.markup, width):
            return
        self._shown = (self.markup, width)
        self.update(hang_lines(self.markup, width, self.extra))
