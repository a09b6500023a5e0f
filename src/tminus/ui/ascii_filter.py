"""ASCII output for terminals without Unicode: every cell drawn passes through here.

One filter over the composed lines rather than a second glyph table in every widget, so
the status symbols, sparklines, borders, scrollbars, tab underline and any screen added
later all come out as ASCII, one character per cell as before.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from rich.cells import cell_len
from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

GLYPHS = {
    # status symbols (README: Keys)
    "✔": "+",
    "✓": "+",
    "▲": "^",
    "✘": "x",
    "✗": "x",
    "⟳": "~",
    "·": ".",
    "○": "o",
    "●": "*",
    "⚠": "!",
    "…": "~",
    "↑": "^",
    "↓": "v",
    "→": ">",
    "←": "<",
    "•": "*",
    "⭘": "o",
    "▶": ">",
    "◀": "<",
    "▼": "v",
    "\u00d7": "x",
    "—": "-",
    "\u2013": "-",
    "≥": ">",
    "≤": "<",
    "≠": "#",
    "∞": "~",
    "°": "o",
    # sparkline heights, lowest first
    "▁": "_",
    "▂": ".",
    "▃": "-",
    "▄": "~",
    "▅": "=",
    "▆": "+",
    "▇": "*",
    "█": "#",
}
for _ch in "─━═╌╍┄┅┈┉╴╶╸╺╼╾▔":
    GLYPHS[_ch] = "-"
for _ch in "│┃║╎╏┆┇┊┋╵╷╹╻╽╿▏▕▎▍▌▋▊▉▐":
    GLYPHS[_ch] = "|"
for _ch in "┌┐└┘├┤┬┴┼╭╮╰╯┏┓┗┛┣┫┳┻╋╔╗╚╝╠╣╦╩╬┍┎┑┒┕┖┙┚┝┞┟┠┡┢┥┦┧┨┩┪┭┮┯┰┱┲┵┶┷┸┹┺┽┾┿╀╁╂╃╄╅╆╇╈╉╊":
    GLYPHS[_ch] = "+"
for _ch in "░▒▓":
    GLYPHS[_ch] = "#"


@lru_cache(maxsize=4096)
def to_ascii(text: str) -> str:
    """The same number of cells, in ASCII."""
    out = []
    for ch in text:
        if ch.isascii():
            out.append(ch)
            continue
        plain = GLYPHS.get(ch)
        if plain is None:
            folded = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
            plain = folded[:1] or "?"
        out.append(plain.ljust(cell_len(ch), " ") if cell_len(ch) > 1 else plain)
    return "".join(out)


class AsciiFilter(LineFilter):
    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        out = []
        for seg in segments:
            text = seg.text
            if text.isascii() or seg.control:
                out.append(seg)
            else:
                out.append(Segment(to_ascii(text), seg.style, seg.control))
        return out
