"""`tminus demo` in a real pseudo-terminal, its output fed to a terminal emulator (pyte).

What a person at that terminal sees, cell by cell, whatever Textual believes it drew.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time
from collections.abc import Iterator
from pathlib import Path

import pyte

SRC = Path(__file__).resolve().parents[1] / "src"
DECRQM = re.compile(rb"\x1b\[\?(\d+)\$p")  # pyte does not know it and would print its "p"
PARTIAL = re.compile(rb"\x1b(\[(\?(\d*(\$)?)?)?)?\Z")


class PtyConsole:
    def __init__(self, fd: int, cols: int, rows: int) -> None:
        self.fd = fd
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.held = b""

    def pump(self, seconds: float) -> None:
        """Read and emulate everything written during `seconds`."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            if not select.select([self.fd], [], [], min(left, 0.05))[0]:
                continue
            try:
                data = os.read(self.fd, 65536)
            except OSError:  # the child is gone
                return
            buf, self.held = self.held + data, b""
            if m := PARTIAL.search(buf):  # an escape cut between two reads
                buf, self.held = buf[: m.start()], buf[m.start() :]
            for mode in DECRQM.findall(buf):  # answered as xterm: mode not recognized
                os.write(self.fd, b"\x1b[?" + mode + b";0$y")
            self.stream.feed(DECRQM.sub(b"", buf))

    def wait_for(self, text: str, seconds: float = 30.0) -> None:
        end = time.monotonic() + seconds
        while text not in "\n".join(self.screen.display):
            assert time.monotonic() < end, f"{text!r} never shown:\n" + self.text()
            self.pump(0.1)

    def press(self, key: str, settle: float = 1.5) -> None:
        os.write(self.fd, key.encode())
        self.pump(settle)

    def text(self) -> str:
        return "\n".join(self.screen.display)


@contextlib.contextmanager
def pty_console(cols: int, rows: int, home: Path) -> Iterator[PtyConsole]:
    """The demo console at cols x rows, started and killed with its process group."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME")}
    env.update(PYTHONPATH=str(SRC), TMINUS_HOME=str(home), TERM="xterm-256color", LANG="C.UTF-8")
    pid, fd = pty.fork()
    if pid == 0:  # the child, a session leader on the pty
        try:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
            os.execvpe(sys.executable, [sys.executable, "-m", "tminus.cli", "demo"], env)
        finally:
            os._exit(127)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    try:
        yield PtyConsole(fd, cols, rows)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)
