"""Map every key path of a TOML document to the line it is written on.

tomllib keeps no positions, so error messages get their line from this scanner. It runs
only on text tomllib has accepted, and it degrades gracefully: an unknown path falls back
to its nearest known parent.
"""

from __future__ import annotations

from tminus.plan.schema import Path

_BARE = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


class _Scanner:
    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0
        self.line = 1
        self.lines: dict[Path, int] = {}
        self.aot_counts: dict[Path, int] = {}  # array-of-tables path -> entries seen
        self.current: Path = ()

    def ch(self, off: int = 0) -> str:
        j = self.i + off
        return self.s[j] if j < len(self.s) else ""

    def adv(self, n: int = 1) -> None:
        for _ in range(n):
            if self.i < len(self.s) and self.s[self.i] == "\n":
                self.line += 1
            self.i += 1

    def skip_ws(self, newlines: bool = False) -> None:
        while self.i < len(self.s):
            c = self.s[self.i]
            if c in " \t\r" or (newlines and c == "\n"):
                self.adv()
            elif c == "#":
                while self.i < len(self.s) and self.s[self.i] != "\n":
                    self.adv()
            else:
                return

    def key(self) -> list[str]:
        parts: list[str] = []
        while True:
            self.skip_ws()
            c = self.ch()
            if c in ('"', "'"):
                parts.append(self.string())
            else:
                start = self.i
                while self.ch() in _BARE and self.ch():
                    self.adv()
                parts.append(self.s[start : self.i])
            self.skip_ws()
            if self.ch() == ".":
                self.adv()
                continue
            return parts

    def string(self) -> str:
        q = self.ch()
        triple = self.s.startswith(q * 3, self.i)
        if triple:
            self.adv(3)
            start = self.i
            while self.i < len(self.s) and not self.s.startswith(q * 3, self.i):
                if q == '"' and self.ch() == "\\":
                    self.adv()
                self.adv()
            end = self.i
            self.adv(3)
            while self.ch() == q:  # up to two extra quotes may close a triple string
                self.adv()
            return self.s[start:end]
        self.adv()
        start = self.i
        while self.i < len(self.s) and self.ch() != q and self.ch() != "\n":
            if q == '"' and self.ch() == "\\":
                self.adv()
            self.adv()
        end = self.i
        self.adv()
        return self.s[start:end]

    def resolve(self, parts: list[str]) -> Path:
        """A header's dotted names, with array-of-tables segments pointing at their last entry."""
        path: Path = ()
        for part in parts:
            path = (*path, part)
            if path in self.aot_counts:
                path = (*path, self.aot_counts[path] - 1)
        return path

    def value(self, path: Path) -> None:
        self.skip_ws()
        c = self.ch()
        if c == "{":
            self.adv()
            while True:
                self.skip_ws(newlines=True)
                if self.ch() in ("}", ""):
                    self.adv()
                    return
                if self.ch() == ",":
                    self.adv()
                    continue
                line, start = self.line, self.i
                sub = (*path, *self.key())
                self.lines.setdefault(sub, line)
                if self.ch() == "=":
                    self.adv()
                self.value(sub)
                if self.i == start:
                    self.adv()
        elif c == "[":
            self.adv()
            idx = 0
            while True:
                self.skip_ws(newlines=True)
                if self.ch() in ("]", ""):
                    self.adv()
                    return
                if self.ch() == ",":
                    self.adv()
                    continue
                start = self.i
                self.lines.setdefault((*path, idx), self.line)
                self.value((*path, idx))
                idx += 1
                if self.i == start:
                    self.adv()
        elif c in ('"', "'"):
            self.string()
        else:
            while self.ch() and self.ch() not in ",]}\n#":
                self.adv()

    def document(self, wanted: set[Path] | None = None) -> dict[Path, int]:
        while True:
            self.skip_ws(newlines=True)
            if self.i >= len(self.s):
                return self.lines
            if wanted is not None and wanted.issubset(self.lines):
                return self.lines  # every path asked for is found: the rest is not needed
            line = self.line
            start = self.i
            self._statement(line)
            if self.i == start:  # never loop without progress, whatever the input
                self.adv()

    def _statement(self, line: int) -> None:
        if self.s.startswith("[[", self.i):
            self.adv(2)
            parts = self.key()
            self.adv(2)
            parent = self.resolve(parts[:-1])
            aot = (*parent, parts[-1])
            self.aot_counts[aot] = self.aot_counts.get(aot, 0) + 1
            self.current = (*aot, self.aot_counts[aot] - 1)
            self.lines.setdefault(aot, line)
            self.lines[self.current] = line
        elif self.ch() == "[":
            self.adv()
            self.current = self.resolve(self.key())
            self.adv()
            self.lines.setdefault(self.current, line)
        else:
            path = (*self.current, *self.key())
            self.lines.setdefault(path, line)
            if self.ch() == "=":
                self.adv()
            self.value(path)


def locate_lines(text: str, wanted: set[Path] | None = None) -> dict[Path, int]:
    """Lines of every path; with `wanted`, the scan may stop once those are all found."""
    try:
        return _Scanner(text).document(wanted)
    except (IndexError, ValueError):  # a scanner slip costs line numbers, never the load
        return {}


def line_for(lines: dict[Path, int], path: Path) -> int | None:
    p = path
    while p:
        if p in lines:
            return lines[p]
        p = p[:-1]
    return None
