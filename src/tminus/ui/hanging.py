"""Wrapped lines that keep their indent: a line of markup wrapped to a width, with its
continuation lines indented past the line's own indent. Textual wraps a Static's text at
the left edge, so an indented line's second half read as a line of its own."""

from __future__ import annotations

from textual.content import Content

NARROWEST = 12  # cells a continuation keeps at least; narrower, nothing is indented


def hanging(markup: str, width: int, hang: int) -> Content:
    """`markup` wrapped to `width`, its wrapped lines indented by `hang` cells."""
    content = Content.from_markup(markup)
    if width <= hang + NARROWEST or content.cell_length <= width:
        return content  # too narrow to indent anything, or nothing to wrap
    first = content.wrap(width)[0]
    cut = len(first.plain)
    plain = content.plain
    while cut < len(plain) and plain[cut] == " ":
        cut += 1
    if cut >= len(plain):
        return first
    tail = content.divide([cut])[1].wrap(width - hang)
    return Content("\n").join([first, *(Content(" " * hang) + line for line in tail)])


def hang_lines(text: str, width: int, extra: int) -> Content:
    """Each line of markup `text` wrapped to `width`, its wrapped lines `extra` cells past
    its own leading spaces. Before a layout gave a width (0), the lines as they are."""
    lines = text.split("\n")
    if width <= 0:
        return Content.from_markup(text)
    return Content("\n").join(
        hanging(line, width, len(line) - len(line.lstrip(" ")) + extra) for line in lines
    )
