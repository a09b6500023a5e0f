"""Lines that wrap keep their indent: the triggers on the Rollback tab and the rollback
screen (at 60 columns every trigger takes two lines, and a continuation at the left edge,
"now 98.6%", read as a line of its own) and the status-update preview on Contacts."""

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


@pytest.mark.parametrize("size", [(60, 20), (80, 24)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_status_update_preview_wraps_under_its_own_indent(tmp_path: Path, size):
    app, _engine = make_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await pilot.press("7")
        await pilot.pause(0.3)
        lines = screen_lines(app)
    start = next(i for i, line in enumerate(lines) if "Next status update" in line)
    body = []
    for line in lines[start + 1 : -1]:  # the preview, up to the blank line after it
        if not line.strip():
            break
        body.append(line)
    metrics = next(i for i, line in enumerate(body) if line.lstrip().startswith("Metrics:"))

    # the metrics line is the longest: its wrapped lines go on 2 cells past its indent
    def indent_of(line: str) -> int:
        return len(line) - len(line.lstrip())

    indent = indent_of(body[metrics])
    after = body[metrics + 1 :]
    wrapped = after[: next((i for i, x in enumerate(after) if indent_of(x) <= indent), None)]
    assert wrapped and all(indent_of(line) == indent + 2 for line in wrapped), (wrapped, body)
    assert all(len(line) - len(line.lstrip()) >= indent for line in body), body
