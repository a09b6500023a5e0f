"""The console's screen as plain text lines, read from Textual's own screenshot."""

from __future__ import annotations

import html
import re

from textual.app import App

CELL_WIDTH = 12.2  # Textual's SVG cell width (px)
_TEXT = re.compile(
    r'<text [^>]*x="([\d.]+)" y="[\d.]+" textLength="[\d.]+" '
    r'clip-path="url\(#[^"]*line-(\d+)\)">([^<]*)</text>'
)


def screen_lines(app: App[object]) -> list[str]:
    """One string per screen row, as the terminal shows it."""
    rows: dict[int, list[tuple[float, str]]] = {}
    for m in _TEXT.finditer(app.export_screenshot()):
        text = html.unescape(m.group(3)).replace("\xa0", " ").replace("\n", "")
        rows.setdefault(int(m.group(2)), []).append((float(m.group(1)), text))
    width, height = app.size
    out = []
    for y in range(height):
        line = [" "] * width
        for x, text in rows.get(y, []):
            col = round(x / CELL_WIDTH)
            line[col : col + len(text)] = text
        out.append("".join(line)[:width].rstrip())
    return out
