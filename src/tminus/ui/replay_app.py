"""`tminus replay`: the console app with the replay screen instead of the live one."""

from __future__ import annotations

from tminus.engine.console import ConsoleEngine
from tminus.engine.replay import ReplayController
from tminus.ui.app import TminusApp
from tminus.ui.screens.main import MainScreen
from tminus.ui.screens.replay import ReplayScreen


class ReplayApp(TminusApp):
    def __init__(self, engine: ConsoleEngine, controller: ReplayController, **kw: object) -> None:
        super().__init__(
            engine,
            notice="Replay: read-only. . , step · ] [ minute · > < decision · ? help",
            **kw,  # type: ignore[arg-type]
        )
        self.controller = controller
        self.sub_title = f"replay of {controller.rec.path.stem}"

    def make_main_screen(self) -> MainScreen:
        return ReplayScreen(self.engine, self.controller)
