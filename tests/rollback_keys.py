"""Keys a commander presses on the rollback screen, for Pilot tests."""

from __future__ import annotations

from textual import events
from textual.widgets import Input

from tminus.ui.app import TminusApp
from tminus.ui.screens.arm_rollback import ArmRollback
from tminus.ui.screens.rollback_screen import RollbackScreen
from tminus.ui.screens.step_decision import StepDecision

from console_factory import until

NAME = "MusicConnect"


async def type_text(pilot, text: str) -> None:
    """Type `text` into the focused Input as a terminal delivers fast typing: every key
    through the app's driver at once, then wait (bounded) until the Input holds it.
    Pilot's `press` waited for the app to go idle after each key instead: about 0.1 s a
    character on a loaded machine, seconds for each name and reason typed."""
    app = pilot.app
    field = app.focused
    assert isinstance(field, Input), f"typing {text!r} with the focus on {field!r}"
    before = field.value
    driver = app._driver
    assert driver is not None
    for ch in text:
        key = {" ": "space", ".": "full_stop", ",": "comma"}.get(ch, ch)
        event = events.Key(key, ch)  # the character a terminal sends with it
        event.set_sender(app)
        driver.send_message(event)
    await until(pilot, lambda: field.value == before + text, f"{text!r} typed")


async def open_rollback(app: TminusApp, pilot) -> RollbackScreen:
    await pilot.pause()
    await pilot.press("x")
    await until(pilot, lambda: isinstance(app.screen, RollbackScreen))
    return app.screen  # type: ignore[return-value]


async def arm(app: TminusApp, pilot, name: str = NAME, reason: str = "errors up") -> None:
    await pilot.press("a")
    await until(pilot, lambda: isinstance(app.screen, ArmRollback))
    await type_text(pilot, name)
    await pilot.press("tab")
    await type_text(pilot, reason)
    await pilot.press("enter")


async def decision(app: TminusApp, pilot) -> StepDecision:
    await until(pilot, lambda: isinstance(app.screen, StepDecision))
    return app.screen  # type: ignore[return-value]


async def choose(pilot, screen: StepDecision, choice: str, text: str = "") -> None:
    index = [c for c, _, _ in screen.choices].index(choice)
    for _ in range(index):
        await pilot.press("down")
    await pilot.press("enter")
    if text:
        await type_text(pilot, text)
        await pilot.press("enter")
