"""The command palette offers each console key once, as the footer does."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from console_factory import make_app


def palette_keys(app) -> Counter[str]:  # type: ignore[no-untyped-def]
    """The key each palette entry names, e.g. `ROLLBACK (x)` -> `x`, counted."""
    titles = [c.title for c in app.get_system_commands(app.screen)]
    return Counter(t.rsplit("(", 1)[1].rstrip(")") for t in titles if t.endswith(")"))


async def test_palette_lists_x_once_with_or_without_a_trigger(tmp_path: Path) -> None:
    app, engine = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        quiet = palette_keys(app)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Rollback (x)" in titles and "ROLLBACK (x)" not in titles
        await engine.declare_trigger("data-corruption", "checksums differ on replica 2")
        await pilot.pause()
        firing = palette_keys(app)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "ROLLBACK (x)" in titles and "Rollback (x)" not in titles
    assert quiet["x"] == 1 and firing["x"] == 1
    assert all(n == 1 for n in quiet.values()), quiet  # no key listed twice
    assert all(n == 1 for n in firing.values()), firing
    assert {"r", "a", "c", "n", "g", "f"} <= set(quiet)  # the phase tab's keys are there


async def test_read_only_palette_offers_no_writing_key(tmp_path: Path) -> None:
    app, _ = make_app(tmp_path, read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        keys = palette_keys(app)
    assert not {"r", "a", "c", "n", "g", "E", "d"} & set(keys)
    assert keys["x"] == 1 and keys["f"] == 1
