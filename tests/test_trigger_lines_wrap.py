"""Trigger lines that wrap keep their indent, on the Rollback tab and the rollback screen:
at 60 columns every trigger takes two lines, and a continuation at the left edge ("now
98.6%") read as a line of its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from screen_lines import screen_lines

from console_factory import make_app

HANG = len("  ○ quiet  ")  # a wrapped line starts under the trigger's title


def trigger_rows(lines: list[str]) -> list[str]:
    start = next(i for i, line in enumerate(lines) if line.strip() == "Rollback triggers")
    rows = []
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        rows.append(line)
    return rows


@pytest.mark.parametrize("size", [(60, 20), (80, 24)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_wrapped_trigger_lines_hang_under_their_title(tmp_path: Path, size):
    app, engine = make_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await engine.declare_trigger("data-corruption", "checksums differ on replica 2 of 3")
        await pilot.pause()
        await pilot.press("6")
        await pilot.pause(0.3)
        tab = trigger_rows(screen_lines(app))
        await pilot.press("x")
        await pilot.pause(0.3)
        screen = trigger_rows(screen_lines(app))
    for rows in (tab, screen):
        starts = [r for r in rows if r.lstrip()[:1] in ("○", "●")]
        assert len(starts) == len(engine.plan.triggers), rows
        for row in rows:
            if row not in starts:  # a wrapped line: under the title, not at the edge
                assert row.startswith(" " * (HANG + 1)) and row[HANG + 1] != " ", rows
        title = next(r for r in starts if "FIRING" in r)
        assert title.index("Data corruption") == HANG + 1, title
    if size[0] == 60:
        assert len(tab) > len(engine.plan.triggers)  # some did wrap
