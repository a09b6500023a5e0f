from __future__ import annotations

from tminus.ui.config import load_config
from tminus.ui.themes import NO_COLOR_THEME, THEMES

from console_factory import make_app, small_plan


async def test_no_color_uses_the_monochrome_theme(tmp_path, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app, _ = make_app(tmp_path, small_plan())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.theme == NO_COLOR_THEME


async def test_theme_choice_is_remembered(tmp_path, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    app, engine = make_app(tmp_path, small_plan())
    app.remember_theme = True
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.theme = "tminus-high-contrast"
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert load_config()["theme"] == "tminus-high-contrast"
    # a new console starts with it
    from tminus.ui.app import TminusApp

    again = TminusApp(engine, remember_theme=True)
    assert again.theme == "tminus-high-contrast"


async def test_every_theme_renders(tmp_path):
    app, _ = make_app(tmp_path, small_plan())
    async with app.run_test(size=(80, 24)) as pilot:
        for theme in THEMES:
            app.theme = theme.name
            await pilot.pause()
            assert app.screen.query_one("#checklist-ready").row_count > 0
