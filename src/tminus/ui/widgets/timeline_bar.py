"""Replay's timeline: one line, the session's span with its decisions marked and the
cursor, plus where the cursor is in T-minus and events."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tminus.engine.replay import ReplayController


def bar_text(controller: ReplayController, width: int) -> Text:
    width = max(10, width)
    cells = ["─"] * width
    for f in controller.decision_fractions():
        cells[min(width - 1, int(f * (width - 1)))] = "╪"
    at = min(width - 1, int(controller.fraction() * (width - 1)))
    text = Text("".join(cells))
    text.stylize("bold reverse", at, at + 1)
    return text


class TimelineBar(Static):
    DEFAULT_CSS = """
    TimelineBar { dock: bottom; height: 2; background: $panel; padding: 0 1; }
    """

    def __init__(self, controller: ReplayController, **kw: object) -> None:
        super().__init__("", **kw)  # type: ignore[arg-type]
        self.controller = controller
        self._shown: tuple[str, int, int] | None = None

    def on_mount(self) -> None:
        self.controller.subscribe(self.refresh_bar)
        self.refresh_bar()

    def on_resize(self) -> None:
        self.refresh_bar()

    def refresh_bar(self) -> None:
        c = self.controller
        key = (c.label(), c.cursor, self.size.width)
        if key == self._shown:
            return
        self._shown = key
        line = Text.assemble(("REPLAY ", "bold"), c.label())
        self.update(Text("\n").join([line, bar_text(c, self.size.width - 2)]))
