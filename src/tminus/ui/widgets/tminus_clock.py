"""The live T-minus clock: its own one-line widget, so a second's tick repaints a dozen
cells and, unless its width changed, triggers no layout pass."""

from __future__ import annotations

from tminus.core.durations import format_tminus
from tminus.engine.console import ConsoleEngine
from tminus.ui.widgets.live_text import LiveText


class TMinusClock(LiveText):
    def __init__(self, engine: ConsoleEngine, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.engine = engine

    def on_mount(self) -> None:
        self.tick()
        self.set_interval(1.0, self.tick)

    def tick(self) -> None:
        delta = (self.engine.clock.now() - self.engine.plan.launch.t0).total_seconds()
        self.show(format_tminus(delta))
