"""Tab labels that all fit the terminal's width: the full label where there is room,
shorter ones where there is not, always with the tab's number (its key)."""

from __future__ import annotations

import re

TAB_PADDING = 2  # a tab pads its label by one cell on each side
PHASE_OFFSET = re.compile(r"^T[+-]\d+[smhdw]?\s+|^T-0\s+")


def shorter(label: str) -> list[str]:
    """Candidates for one tab, longest first: "3 T+1d Post-Launch Validation",
    "3 Post-Launch Validation", "3 Post-Launch", "3 Post", "3"."""
    number, _, rest = label.partition(" ")
    out = [label]
    bare = PHASE_OFFSET.sub("", rest)
    first = bare.split()[0] if bare.split() else ""
    for text in (bare, first, first.split("-")[0][:5]):
        candidate = f"{number} {text}".rstrip()
        if candidate not in out:
            out.append(candidate)
    if number not in out:
        out.append(number)
    return out


def fit_labels(labels: list[str], width: int) -> list[str]:
    """The longest labels whose tabs fit `width` together: tabs shorten one level at a
    time, the longest first, until they fit (numbers alone at worst)."""
    options = [shorter(label) for label in labels]
    level = [0] * len(labels)

    def total() -> int:
        return sum(len(opts[lv]) + TAB_PADDING for opts, lv in zip(options, level, strict=True))

    while total() > width:
        candidates = [i for i, opts in enumerate(options) if level[i] < len(opts) - 1]
        if not candidates:
            break
        longest = max(candidates, key=lambda i: len(options[i][level[i]]))
        level[longest] += 1
    return [opts[lv] for opts, lv in zip(options, level, strict=True)]
