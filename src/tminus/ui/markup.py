"""Escape user and plan text for Textual markup.

Textual reads any `[word]` as a style tag, so `[URGENT]` or `[Contact]` in a note or plan
would vanish; `rich.markup.escape` and `textual.markup.escape` only escape brackets that
look like tags to their own parser. Escaping every `[` keeps all text as written.
"""

from __future__ import annotations

from rich.text import Text


def escape(text: str) -> str:
    """`text` for a markup string, shown exactly as written."""
    return text.replace("[", "\\[")


def plain(text: str, style: str = "") -> Text:
    """`text` as a renderable that is never parsed as markup (DataTable cells, Static)."""
    return Text(text, style=style)
