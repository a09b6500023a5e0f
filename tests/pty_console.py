"""`tminus demo` in a real pseudo-terminal, its output fed to a terminal emulator (pyte).

What a person at that terminal sees, cell by cell, whatever Textual believes it drew.
The terminal itself (reading the pty, answering the app's queries as xterm, feeding
pyte) is the benchmarks' own, `bench/terminal.py`: one emulation for both.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from terminal import Terminal, fork_in_pty, kill_group  # noqa: E402

SRC = ROOT / "src"


class PtyConsole:
    def __init__(self, fd: int, cols: int, rows: int) -> None:
        self.fd = fd
        self.terminal = Terminal(fd, cols, rows, time.monotonic(), sync=False)
        self.screen = self.terminal.screen

    def pump(self, seconds: float) -> None:
        """Read and emulate everything written during `seconds`."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            self.terminal.pump(min(left, 0.05))

    def wait_until(self, shown: Callable[[], bool], what: str, seconds: float = 30.0) -> None:
        """Pump until `shown()` is true; fail after `seconds` with the screen."""
        end = time.monotonic() + seconds
        while not shown():
            assert time.monotonic() < end, f"{what} never shown:\n" + self.text()
            self.pump(0.1)

    def wait_for(self, text: str, seconds: float = 30.0) -> None:
        self.wait_until(lambda: text in self.text(), repr(text), seconds)

    def press(self, key: str) -> None:
        """Type `key`; what it changes is waited for with `wait_for` or `wait_until`."""
        os.write(self.fd, key.encode())

    def text(self) -> str:
        return "\n".join(self.screen.display)


@contextlib.contextmanager
def pty_console(cols: int, rows: int, home: Path) -> Iterator[PtyConsole]:
    """The demo console at cols x rows, started and killed with its process group."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME")}
    env.update(PYTHONPATH=str(SRC), TMINUS_HOME=str(home), TERM="xterm-256color", LANG="C.UTF-8")
    argv = [sys.executable, "-m", "tminus.cli", "demo"]
    pid, fd = fork_in_pty(argv, env, cols, rows)
    try:
        yield PtyConsole(fd, cols, rows)
    finally:
        kill_group(pid)
        os.close(fd)
