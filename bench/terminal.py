"""Benchmark: tminus as its user sees it, in a real pseudo-terminal.

For each command (`tminus demo`; `bench/bare_app.py`; the shared reference app
`../shared/bench/reference_sparkline_app.py`, a plain Textual app with a header, 5 tabs,
6 sparklines at 1 Hz and a footer, the peer for start-up; and htop 3.2 at a 1 s refresh,
the peer for tab switches, its Main and I/O screen tabs switched with Tab, skipped with a
note when htop is not installed) and each window
size, this runs the program under `pty.fork()` with the size set by TIOCSWINSZ,
TERM=xterm-256color, COLORTERM unset, TEXTUAL_* unset and TMINUS_HOME in a temporary
directory, and measures:

- first byte: exec to the first byte written to the terminal;
- text visible / first frame: exec until the pyte screen shows the first full frame:
  every region, the footer (painted last) included ("MusicConnect", "Pre-Launch",
  "Infrastructure" and "? Help" for tminus); the peers' own texts likewise;
- startup KB: bytes written until the first frame;
- peak RSS: VmHWM of the process tree (the child and its descendants), read at the end;
- steady KB/s: bytes per second over --seconds after the first frame, idle;
- with --keys, active KB/s: bytes per second over the 10 s after pressing "a" (run every
  check of the first phase), sent after the idle window.

KB means 1000 bytes. The terminal's queries are answered as xterm would (DECRQM: mode not
recognized; DA and cursor position by pyte), or as a terminal that supports synchronized
output with --sync. The pty is drained continuously, so the app never blocks on output.
Every child's process group is killed at the end of its run, on Ctrl-C, SIGTERM, SIGHUP,
and when the whole benchmark exceeds its time limit (--timeout, default twice the
estimate).

Each command is started once, untimed, before the measured runs (--no-warmup skips it):
with --bytecode cached (the default) that start fills a temporary PYTHONPYCACHEPREFIX, so
the measured starts find every module's .pyc as they would after an install, even where
PYTHONDONTWRITEBYTECODE is set and src/ has no __pycache__.

    .venv/bin/python bench/terminal.py [--seconds 30] [--runs 3] [--sizes 80x24,120x40]
        [--keys] [--only tminus,reference,bare] [--tab KEYS] [--settle S] [--log DIR]
        [--explain] [--screen] [--metrics N] [--switches N] [--switch-keys A,B]

Steady CPU: user + system time of the process tree over the steady window, as a share of
one core. CPU to first frame: the same, from exec to the first full frame. --metrics N
runs `tminus run` on a generated plan (the default plan on the demo world with N metrics)
instead of `tminus demo`. --switches N, after the steady window, presses A and B in turn
(default 2 and 1; htop: Tab) and counts the bytes of each switch, from the key until the output is
quiet for 0.25 s, each switch pressed just after the last write (a 1 Hz tick rarely falls
inside one).

--tab 2 presses "2" (tminus's Launch Day tab, with the metrics strip; "4" is Metrics)
after the first frame and measures the steady window there. --log DIR keeps each run's
raw output (`<name>-<size>-<run>.bin`) and read times (`.times`, one
`seconds_since_exec offset` line per read). --explain decodes run 1's windows: for every
screen row, how many runs of cells a second rewrote it, for how many bytes, and which text.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import fcntl
import itertools
import os
import platform
import pty
import re
import select
import shutil
import signal
import statistics
import struct
import sys
import tempfile
import termios
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pyte

ROOT = Path(__file__).resolve().parent.parent
QUIET = 0.3  # seconds of silence that end the first frame
STARTUP_TIMEOUT = 20.0
KEYS_SECONDS = 10.0
TAB_SETTLE = 2.0  # seconds after --tab before the steady window (a quiet gap comes too soon)
SWITCH_QUIET = 0.25  # a tab switch ends when the output is quiet this long
SWITCH_MAX = 1.5
SWITCH_GAP = 1.0  # seconds between two switches

LIVE: set[int] = set()  # process groups to kill on the way out


class Abort(Exception):
    """Ctrl-C, SIGTERM, SIGHUP or the overall time limit."""


# ---------------------------------------------------------------- commands
@dataclass(frozen=True)
class Command:
    name: str
    argv: list[str]
    texts: tuple[str, ...]  # what the screen must show before the first frame counts
    key: bytes | None = None  # the --keys scenario
    switch_keys: tuple[str, str] = ("2", "1")  # --switches alternates between these tabs
    own_home: bool = False  # HOME is the run's temporary directory (htop writes its htoprc)


def commands() -> dict[str, Command]:
    venv_tminus = Path(sys.executable).parent / "tminus"
    if venv_tminus.exists():
        tminus = [str(venv_tminus), "demo"]
    elif found := shutil.which("tminus"):
        tminus = [found, "demo"]
    else:
        tminus = [
            sys.executable,
            "-c",
            "import sys; from tminus.cli import main; sys.exit(main())",
            "demo",
        ]
    return {
        # the texts of the first full frame: header, tabs, first row, and the footer
        "tminus": Command(
            "tminus", tminus, ("MusicConnect", "Pre-Launch", "Infrastructure", "? Help"), key=b"a"
        ),
        "reference": Command(
            "reference",
            [sys.executable, str(REFERENCE_APP)],
            ("SparkRef", "Pre-Launch", "metric 0", "Quit"),
        ),
        "bare": Command(
            "bare",
            [sys.executable, str(ROOT / "bench" / "bare_app.py")],
            ("BareApp", "Pre-Launch"),
            key=b"a",
        ),
        # the peer for tab switches: htop 3.2 refreshing every second, its two screen tabs
        # (Main, I/O) switched with Tab; skipped with a note where htop is not installed
        "htop": Command(
            "htop",
            [shutil.which("htop") or "htop", "-d", "10"],
            ("[Main]", "PID"),
            switch_keys=("\t", "\t"),
            own_home=True,
        ),
    }


def _reference_app() -> Path:
    """The shared peer (a plain Textual app: header, 5 tabs, 6 sparklines at 1 Hz, footer),
    in ../shared/bench beside the checkout, or $TMINUS_REFERENCE_APP."""
    if os.environ.get("TMINUS_REFERENCE_APP"):
        return Path(os.environ["TMINUS_REFERENCE_APP"])
    for up in (ROOT.parent, ROOT.parent.parent):
        candidate = up / "shared" / "bench" / "reference_sparkline_app.py"
        if candidate.exists():
            return candidate
    return ROOT.parent / "shared" / "bench" / "reference_sparkline_app.py"


REFERENCE_APP = _reference_app()

PYCACHE: str | None = None  # our own bytecode cache (--bytecode cached); None: as inherited


def child_env(home: str) -> dict[str, str]:
    drop = {"COLORTERM", "NO_COLOR", "LINES", "COLUMNS"}
    if PYCACHE is not None:
        drop |= {"PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX"}
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEXTUAL") and k not in drop}
    env.update(TERM="xterm-256color", TMINUS_HOME=home, LANG=env.get("LANG", "C.UTF-8"))
    if env.get("PYTHONPATH"):  # the child runs in `home`: a relative `src` would miss
        env["PYTHONPATH"] = os.pathsep.join(
            str(Path(p).resolve()) for p in env["PYTHONPATH"].split(os.pathsep) if p
        )
    env.setdefault("LC_ALL", "C.UTF-8")
    if PYCACHE is not None:  # as after an install: every module has its .pyc (in our temp dir)
        env["PYTHONPYCACHEPREFIX"] = PYCACHE
    return env


# ---------------------------------------------------------------- the terminal
class Screen(pyte.Screen):
    """A pyte screen that answers the app's DA and cursor-position queries."""

    def __init__(self, cols: int, rows: int, fd: int) -> None:
        super().__init__(cols, rows)
        self.fd = fd

    def write_process_input(self, data: str) -> None:
        with contextlib.suppress(OSError):
            os.write(self.fd, data.encode())


DECRQM = re.compile(rb"\x1b\[\?(\d+)\$p")
PARTIAL = re.compile(rb"\x1b(\[(\?(\d*(\$)?)?)?)?\Z")


class Terminal:
    """Reads the pty, answers queries, feeds pyte, and keeps every read's time and size."""

    def __init__(self, fd: int, cols: int, rows: int, t0: float, *, sync: bool) -> None:
        self.fd = fd
        self.t0 = t0
        self.sync = sync
        self.screen = Screen(cols, rows, fd)
        self.stream = pyte.ByteStream(self.screen)
        self.reads: list[tuple[float, int]] = []  # (time since exec, bytes)
        self.raw = bytearray()
        self.held = b""
        self.eof = False
        self.queries: Counter[str] = Counter()

    def pump(self, timeout: float) -> bool:
        """Read whatever is there (waiting up to `timeout`); True if anything came."""
        if self.eof:
            time.sleep(timeout)
            return False
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return False
        chunks = []
        while True:  # drain everything available before the (slower) pyte work
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                break
            except OSError:  # EIO: the child is gone
                self.eof = True
                break
            if not data:
                self.eof = True
                break
            self.reads.append((time.monotonic() - self.t0, len(data)))
            chunks.append(data)
            if not select.select([self.fd], [], [], 0)[0]:
                break
        if chunks:
            self._feed(b"".join(chunks))
        return bool(chunks)

    def _feed(self, data: bytes) -> None:
        self.raw += data
        buf = self.held + data
        self.held = b""
        if m := PARTIAL.search(buf):
            buf, self.held = buf[: m.start()], buf[m.start() :]
        for mode in DECRQM.findall(buf):
            self.queries[f"DECRQM ?{mode.decode()}"] += 1
            state = 2 if (self.sync and mode == b"2026") else 0
            with contextlib.suppress(OSError):
                os.write(self.fd, f"\x1b[?{mode.decode()};{state}$y".encode())
        buf = DECRQM.sub(b"", buf)  # pyte does not know DECRQM and would print its "p"
        for q in (b"\x1b[c", b"\x1b[0c", b"\x1b[6n"):
            if q in buf:
                self.queries[q.decode().replace("\x1b", "ESC")] += buf.count(q)
        self.stream.feed(buf)

    def shows(self, texts: tuple[str, ...]) -> bool:
        display = "\n".join(self.screen.display)
        return all(t in display for t in texts)

    def bytes_between(self, start: float, end: float) -> int:
        return sum(n for t, n in self.reads if start <= t < end)

    def offset_at(self, when: float) -> int:
        return sum(n for t, n in self.reads if t < when)


# ---------------------------------------------------------------- processes
def set_winsize(fd: int, cols: int, rows: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = defaultdict(list)
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children[ppid].append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def vmhwm_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of the process tree (the child and its descendants)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in descendants(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def kill_group(pid: int) -> None:
    """SIGTERM the child's process group, SIGKILL what is left after 1 s, reap the child."""
    for sig, grace in ((signal.SIGTERM, 1.0), (signal.SIGKILL, 2.0)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, sig)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done == pid:
                break
            time.sleep(0.02)
        else:
            continue
        break
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)  # anything else left in the group
    LIVE.discard(pid)


def fork_in_pty(
    argv: list[str], env: dict[str, str], cols: int, rows: int, cwd: str | None = None
) -> tuple[int, int]:
    """Exec `argv` on a new pty of cols x rows; (its pid, the pty's non-blocking fd)."""
    pid, fd = pty.fork()
    if pid == 0:  # child: a session leader (pty.fork calls setsid), its pty is fd 0
        try:
            set_winsize(0, cols, rows)
            if cwd is not None:
                os.chdir(cwd)
            os.execvpe(argv[0], argv, env)
        finally:
            os._exit(127)
    set_winsize(fd, cols, rows)
    os.set_blocking(fd, False)
    return pid, fd


def spawn(cmd: Command, cols: int, rows: int, home: str) -> tuple[int, int, float]:
    env = child_env(home)
    if cmd.own_home:
        env.update(HOME=home, XDG_CONFIG_HOME=home)
    t0 = time.monotonic()
    pid, fd = fork_in_pty(cmd.argv, env, cols, rows, cwd=home)
    LIVE.add(pid)
    return pid, fd, t0


# ---------------------------------------------------------------- one run
@dataclass(frozen=True)
class Options:
    seconds: float = 30.0
    keys: bool = False
    sync: bool = False
    tab: str = ""  # keys sent after the first frame, before the steady window ("2": tab 2)
    startup_only: bool = False
    switches: int = 0  # tab switches measured after the steady window (bytes of each)
    settle: float = TAB_SETTLE  # seconds after --tab before the steady window


@dataclass
class Result:
    first_byte: float = float("nan")
    visible: float = float("nan")
    first_frame: float = float("nan")
    startup_cpu: float = float("nan")  # CPU seconds of the process tree at the first frame
    startup_bytes: int = 0
    rss_mb: float = float("nan")
    steady_bps: float = float("nan")
    steady_seconds: list[int] = field(default_factory=list)
    steady_cpu: float = float("nan")  # share of one core over the steady window
    switch_bytes: list[int] = field(default_factory=list)
    active_bps: float = float("nan")
    active_seconds: list[int] = field(default_factory=list)
    active_changed: bool = False
    queries: Counter[str] = field(default_factory=Counter)
    error: str = ""
    term: Terminal | None = None
    window: tuple[float, float] = (0.0, 0.0)
    active_window: tuple[float, float] = (0.0, 0.0)


def run_once(cmd: Command, cols: int, rows: int, opts: Options) -> Result:
    res = Result()
    with tempfile.TemporaryDirectory(prefix="tminus-bench-") as home:
        pid, fd, t0 = spawn(cmd, cols, rows, home)
        term = Terminal(fd, cols, rows, t0, sync=opts.sync)
        res.term = term
        try:
            _measure(term, cmd, res, opts, pid)
            res.rss_mb = sum(vmhwm_kb(p) for p in descendants(pid)) / 1024
        finally:
            kill_group(pid)
            with contextlib.suppress(OSError):
                os.close(fd)
        res.queries = term.queries
    return res


def per_second(term: Terminal, start: float, seconds: float) -> list[int]:
    return [term.bytes_between(start + i, start + i + 1) for i in range(int(seconds))]


def _measure(term: Terminal, cmd: Command, res: Result, opts: Options, pid: int) -> None:
    def now() -> float:
        return time.monotonic() - term.t0

    def pump_until(end: float) -> None:
        while now() < end and not term.eof:
            term.pump(min(0.05, max(0.0, end - now())))

    # first frame: every region is on screen (header, tabs, first row, and the footer,
    # which is painted last); not "quiet for 0.3 s", which a repaint every tick flatters
    while now() < STARTUP_TIMEOUT:
        got = term.pump(0.01)
        if term.reads and res.first_byte != res.first_byte:
            res.first_byte = term.reads[0][0]
        if got and res.visible != res.visible and term.shows(cmd.texts):
            res.visible = term.reads[-1][0]
            res.first_frame = res.visible
            res.startup_cpu = cpu_seconds(pid)
            break
        if term.eof:
            res.error = "exited during startup"
            return
    else:
        res.error = f"no first frame in {STARTUP_TIMEOUT:.0f} s"
        return
    res.startup_bytes = term.offset_at(res.first_frame + 1e-9)
    if opts.startup_only:
        return
    while not term.eof and (not term.reads or now() - term.reads[-1][0] < QUIET):
        term.pump(0.05)  # the start settles before any window is measured

    if opts.tab:  # another view first; its switch (repaints, underline animation) settles
        os.write(term.fd, opts.tab.encode())
        pump_until(now() + opts.settle)

    # steady state, idle
    start = now()
    cpu0 = cpu_seconds(pid)
    pump_until(start + opts.seconds)
    if term.eof:
        res.error = "exited during the steady window"
        return
    res.steady_cpu = (cpu_seconds(pid) - cpu0) / max(now() - start, 1e-9)
    res.window = (start, start + opts.seconds)
    res.steady_bps = term.bytes_between(*res.window) / opts.seconds
    res.steady_seconds = per_second(term, start, opts.seconds)

    # tab switches: the bytes from the key until the output, once it started, is quiet for
    # SWITCH_QUIET (at most SWITCH_MAX s), alternating between two tabs; each switch starts just after
    # a write, so a periodic update (a 1 Hz tick) rarely falls inside one
    for i in range(opts.switches):
        pump_until(now() + SWITCH_GAP)
        while term.pump(SWITCH_QUIET):  # catch the end of a burst, then press at once
            pass
        key = cmd.switch_keys[i % 2].encode()
        t_key = now()
        os.write(term.fd, key)
        last = None  # the time of the last read since the key; none yet
        while now() - t_key < SWITCH_MAX and (last is None or now() - last < SWITCH_QUIET):
            if term.pump(0.02):
                last = term.reads[-1][0]
        res.switch_bytes.append(term.bytes_between(t_key, (last or t_key) + 1e-9))
    if term.eof:
        res.error = "exited during the tab switches"
        return

    # active: one key, then 10 s
    if opts.keys and cmd.key:
        before = list(term.screen.display)
        start = now()
        os.write(term.fd, cmd.key)
        pump_until(start + KEYS_SECONDS)
        res.active_window = (start, start + KEYS_SECONDS)
        res.active_bps = term.bytes_between(*res.active_window) / KEYS_SECONDS
        res.active_seconds = per_second(term, start, KEYS_SECONDS)
        res.active_changed = list(term.screen.display) != before
        if term.eof:
            res.error = "exited during the active window"


# ---------------------------------------------------------------- explain
CUP = re.compile(rb"\x1b\[(\d+);(\d+)H")
ESC_SEQ = re.compile(rb"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])")


def explain(term: Terminal, start: float, end: float, cols: int) -> str:
    """Which rows a window rewrote, how often, for how many bytes, and with which text.

    Textual writes each changed run of cells as a cursor move (CSI row;col H) and the
    styled text; a move with nothing after it only parks the cursor.
    """
    lo, hi = term.offset_at(start), term.offset_at(end)
    data = bytes(term.raw[lo:hi])
    secs = max(end - start, 1e-9)
    writes: Counter[int] = Counter()
    nbytes: Counter[int] = Counter()
    span: dict[int, list[int]] = {}
    texts: dict[int, Counter[str]] = defaultdict(Counter)
    marks = list(CUP.finditer(data))
    other = len(data[: marks[0].start()]) if marks else len(data)
    parking = 0
    for i, m in enumerate(marks):
        seg = data[m.start() : marks[i + 1].start() if i + 1 < len(marks) else len(data)]
        plain = ESC_SEQ.sub(b"", seg).decode("utf-8", "replace").replace("\r\n", "")
        if not plain:
            parking += len(seg)
            continue
        row, col = int(m.group(1)), int(m.group(2))
        writes[row] += 1
        nbytes[row] += len(seg)
        lo_hi = span.setdefault(row, [col, col + len(plain) - 1])
        lo_hi[0], lo_hi[1] = min(lo_hi[0], col), max(lo_hi[1], col + len(plain) - 1)
        texts[row][plain.strip()[:50] or f"<{len(plain)} blank cells>"] += 1
    sgr = len(re.findall(rb"\x1b\[[0-9;:]*m", data))
    lines = [
        f"    {hi - lo} bytes in {secs:.1f} s ({(hi - lo) / secs:.0f} B/s): {sum(writes.values())} runs of"
        f" cells, {sgr} SGR codes, {parking} bytes of cursor parking, {other} bytes before the first move",
        "    row  runs/s  bytes/s  cols     most frequent text (blank cells only if no text)",
    ]
    for row in sorted(writes):
        # text beats blank cells (a scrollbar), then the most frequent
        text, n = max(texts[row].items(), key=lambda kv: (not kv[0].startswith("<"), kv[1]))
        c0, c1 = span[row]
        lines.append(
            f"    {row:>3}  {writes[row] / secs:6.2f}  {nbytes[row] / secs:7.0f}  {c0:>3}-{c1:<3}  {text!r} x{n}"
        )
    return "\n".join(lines)


# ---------------------------------------------------------------- report
def fmt(values: list[float], unit: str, scale: float = 1.0, digits: int = 2) -> str:
    vals = [v * scale for v in values if v == v]
    if not vals:
        return "-"
    med = statistics.median(vals)
    if len(vals) == 1:
        return f"{med:.{digits}f}{unit}"
    return f"{med:.{digits}f}{unit} ({min(vals):.{digits}f}-{max(vals):.{digits}f})"


def table(
    size: str, results: dict[str, list[Result]], keys: bool, seconds: float, switches: int = 0
) -> str:
    cols = [
        "first byte",
        "text visible",
        "first frame",
        "CPU to first frame",
        "startup KB",
        "peak RSS MB",
        f"steady KB/s ({seconds:g} s)",
        "steady CPU % of a core",
    ]
    if switches:
        cols.append("KB per tab switch (median)")
    if keys:
        cols.append(f"active KB/s ({KEYS_SECONDS:g} s after 'a')")
    rows = []
    for name, rs in results.items():
        row = [
            name,
            fmt([r.first_byte for r in rs], " s"),
            fmt([r.visible for r in rs], " s"),
            fmt([r.first_frame for r in rs], " s"),
            fmt([r.startup_cpu for r in rs], " s"),
            fmt([r.startup_bytes for r in rs if not r.error], "", 1e-3, 1),
            fmt([r.rss_mb for r in rs], "", 1, 1),
            fmt([r.steady_bps for r in rs], "", 1e-3, 2),
            fmt([r.steady_cpu for r in rs], "", 100, 1),
        ]
        if switches:
            row.append(
                fmt([statistics.median(r.switch_bytes) for r in rs if r.switch_bytes], "", 1e-3, 1)
            )
        if keys:
            row.append(fmt([r.active_bps for r in rs], "", 1e-3, 2))
        rows.append(row)
    header = ["", *cols]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    out = [f"{size}  (median, (min-max) over runs)"]
    out.append("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    out.append("  ".join("-" * w for w in widths))
    out.extend("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows)
    if "tminus" in results and "reference" in results:
        t = statistics.median([r.first_frame for r in results["tminus"]])
        b = statistics.median([r.first_frame for r in results["reference"]])
        if t == t and b == b and b > 0:
            out.append(f"first full frame tminus/reference: {t / b:.2f}x (goal: <= 1.2x)")
        t = statistics.median([r.startup_cpu for r in results["tminus"]])
        b = statistics.median([r.startup_cpu for r in results["reference"]])
        if t == t and b == b and b > 0:
            out.append(f"CPU to the first full frame tminus/reference: {t / b:.2f}x")
    if "tminus" in results and "bare" in results:
        t = statistics.median([r.first_frame for r in results["tminus"]])
        b = statistics.median([r.first_frame for r in results["bare"]])
        if t == t and b == b and b > 0:
            out.append(f"first frame tminus/bare: {t / b:.2f}x (goal: <= 1.3x and < 1 s)")
    if switches and "tminus" in results and "htop" in results:
        per = {n: [b for r in results[n] for b in r.switch_bytes] for n in ("tminus", "htop")}
        if per["tminus"] and per["htop"] and statistics.median(per["htop"]) > 0:
            ratio = statistics.median(per["tminus"]) / statistics.median(per["htop"])
            out.append(f"bytes per tab switch tminus/htop (median of every switch): {ratio:.1f}x")
    return "\n".join(out)


def machine() -> str:
    model = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    import textual

    return (
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs ({model}),"
        f" Python {platform.python_version()}, Textual {textual.__version__}"
    )


# ---------------------------------------------------------------- main
def many_metrics_plan(n: int) -> str:
    """The default plan on the demo world (healthy, speed 1) with `n` metrics: its own
    first, then copies of them under new ids, as TOML for `tminus run`."""
    from tminus.commands.console import demo_plan
    from tminus.plan.writer import plan_to_toml

    plan = demo_plan("healthy", 1.0, 1)
    base = list(plan.metrics)
    extra = [
        dataclasses.replace(m, id=f"{m.id}_{i}", title=f"{m.title} {i}")
        for i, m in zip(range(len(base), n), itertools.cycle(base), strict=False)
    ]
    return plan_to_toml(dataclasses.replace(plan, metrics=tuple((base + extra)[:n])))


def parse_sizes(text: str) -> list[tuple[int, int]]:
    out = []
    for part in text.split(","):
        c, r = part.lower().split("x")
        out.append((int(c), int(r)))
    return out


def on_signal(signum: int, _frame: object) -> None:
    raise Abort(signal.Signals(signum).name)


def source_stamp() -> str:
    """The newest file under src/: the code measured, since the tree changes between runs."""
    files = [p for p in (ROOT / "src").rglob("*") if p.suffix in (".py", ".tcss", ".toml")]
    if not files:
        return "no src/"
    newest = max(files, key=lambda p: p.stat().st_mtime)
    when = dt.datetime.fromtimestamp(newest.stat().st_mtime, dt.UTC)
    return f"{len(files)} files, newest {newest.relative_to(ROOT)} at {when:%Y-%m-%d %H:%M:%S} UTC"


def save_log(directory: Path, stem: str, term: Terminal) -> None:
    path = directory / stem
    path.with_suffix(".bin").write_bytes(bytes(term.raw))
    offset, lines = 0, []
    for t, k in term.reads:
        lines.append(f"{t:.4f} {offset}")
        offset += k
    path.with_suffix(".times").write_text("\n".join(lines) + "\n")


def summary(r: Result, keys: bool) -> str:
    if r.error:
        return f"FAILED: {r.error}"
    out = (
        f"first frame {r.first_frame:.2f} s, steady {r.steady_bps / 1000:.2f} KB/s,"
        f" CPU {r.steady_cpu * 100:.1f}% of a core"
    )
    if r.switch_bytes:
        out += f", tab switches {[round(b / 1000, 1) for b in r.switch_bytes]} KB"
    if keys and r.active_seconds:
        out += (
            f", active {r.active_bps / 1000:.2f} KB/s (busiest second {max(r.active_seconds) / 1000:.1f} KB,"
            f" screen {'changed' if r.active_changed else 'UNCHANGED'})"
        )
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=30.0, help="steady window (default 30)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sizes", default="80x24,120x40")
    ap.add_argument("--keys", action="store_true", help="also press 'a' and measure 10 s")
    ap.add_argument(
        "--only",
        help="comma-separated commands to run: tminus, bare, reference, htop (default all)",
    )
    ap.add_argument(
        "--watch", metavar="DURATION", help="tminus demo --watch DURATION (checks keep watching)"
    )
    ap.add_argument("--tab", default="", help="keys to press before the steady window, e.g. 2")
    ap.add_argument(
        "--settle",
        type=float,
        default=TAB_SETTLE,
        help=f"seconds after --tab before the steady window (default {TAB_SETTLE:g})",
    )
    ap.add_argument(
        "--switches",
        type=int,
        default=0,
        help="after the steady window, switch tabs N times (2, 1, 2, ...) and count the bytes",
    )
    ap.add_argument(
        "--switch-keys",
        help="the two tabs --switches alternates between (default 2,1: the first two tabs;"
        " htop: Tab, between Main and I/O)",
    )
    ap.add_argument(
        "--metrics",
        type=int,
        help="tminus runs a generated plan with N metrics on the demo world (`tminus run`)",
    )
    ap.add_argument(
        "--sync", action="store_true", help="answer that synchronized output (2026) is supported"
    )
    ap.add_argument(
        "--bytecode",
        choices=("cached", "inherited"),
        default="cached",
        help="cached (default): .pyc files as after an install, in a temp PYTHONPYCACHEPREFIX filled by"
        " the warm-up; inherited: the caller's PYTHONDONTWRITEBYTECODE and caches as they are",
    )
    ap.add_argument(
        "--no-warmup", action="store_true", help="skip the untimed first start of each command"
    )
    ap.add_argument("--log", type=Path, help="keep raw output and read times here")
    ap.add_argument(
        "--explain", action="store_true", help="decode the windows of run 1, row by row"
    )
    ap.add_argument("--screen", action="store_true", help="print the final screen of each run")
    ap.add_argument("--timeout", type=float, help="bound on the whole run (default: estimated x2)")
    args = ap.parse_args(argv)

    sizes = parse_sizes(args.sizes)
    only = set(args.only.split(",")) if args.only else set(commands())
    if only - set(commands()):
        ap.error(f"--only: unknown command {', '.join(sorted(only - set(commands())))}")
    if "htop" in only and not shutil.which("htop"):
        print("htop is not installed: skipped (Debian: apt-get install htop)", file=sys.stderr)
        only.discard("htop")
    cmds = [c for n, c in commands().items() if n in only]
    if args.watch:
        cmds = [
            dataclasses.replace(c, argv=[*c.argv, "--watch", args.watch])
            if c.name == "tminus"
            else c
            for c in cmds
        ]
    plan_dir = tempfile.TemporaryDirectory(prefix="tminus-bench-plan-") if args.metrics else None
    if plan_dir is not None:
        plan_file = Path(plan_dir.name) / f"plan-{args.metrics}-metrics.toml"
        plan_file.write_text(many_metrics_plan(args.metrics))
        cmds = [
            dataclasses.replace(c, argv=[*c.argv[:-1], "run", str(plan_file), "--new"])
            if c.name == "tminus"
            else c
            for c in cmds
        ]
    if args.switch_keys:  # the Textual apps' tabs; htop keeps its Tab key
        a, _, b = args.switch_keys.partition(",")
        cmds = [
            dataclasses.replace(c, switch_keys=(a, b or a)) if c.name != "htop" else c for c in cmds
        ]
    opts = Options(
        seconds=args.seconds,
        keys=args.keys,
        sync=args.sync,
        tab=args.tab,
        switches=args.switches,
        settle=args.settle,
    )
    per_run = (
        STARTUP_TIMEOUT / 4
        + args.seconds
        + (KEYS_SECONDS if args.keys else 0)
        + (args.settle if args.tab else 0)
        + args.switches * (SWITCH_GAP + SWITCH_MAX)
        + 3
    )
    budget = (
        args.timeout or 2 * (per_run * args.runs * len(sizes) * len(cmds) + 10 * len(cmds)) + 30
    )
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGALRM):
        signal.signal(sig, on_signal)
    signal.alarm(int(budget) + 1)
    if args.log:
        args.log.mkdir(parents=True, exist_ok=True)

    print(machine())
    print(f"tminus source: {source_stamp()}")
    print(
        f"{args.runs} runs, {args.seconds:g} s steady window{f' after pressing {args.tab!r}' if args.tab else ''},"
        f" TERM=xterm-256color, no COLORTERM, bytecode {args.bytecode}, queries answered as"
        f" {'a terminal with synchronized output' if args.sync else 'xterm'}; time limit {budget:.0f} s",
        flush=True,
    )
    failed = 0
    global PYCACHE
    cache_dir = (
        tempfile.TemporaryDirectory(prefix="tminus-bench-pyc-")
        if args.bytecode == "cached"
        else None
    )
    PYCACHE = cache_dir.name if cache_dir else None
    try:
        if not args.no_warmup:  # the first start pays for cold file caches
            for cmd in cmds:
                run_once(cmd, *sizes[0], Options(sync=args.sync, startup_only=True))
        for cols, rows in sizes:
            size = f"{cols}x{rows}"
            results: dict[str, list[Result]] = {c.name: [] for c in cmds}
            for n in range(args.runs):
                for cmd in cmds:  # interleaved, so drift hits every command alike
                    r = run_once(cmd, cols, rows, opts)
                    results[cmd.name].append(r)
                    failed += bool(r.error)
                    print(
                        f"  {size} {cmd.name} run {n + 1}: {summary(r, args.keys)}",
                        file=sys.stderr,
                        flush=True,
                    )
                    term = r.term
                    assert term is not None
                    if r.queries and n == 0:
                        print(f"    queries answered: {dict(r.queries)}", file=sys.stderr)
                    if args.log:
                        save_log(args.log, f"{cmd.name}-{size}-{n + 1}", term)
                    if args.explain and not r.error and n == 0:
                        print(
                            f"    steady window, bytes each second: {r.steady_seconds}",
                            file=sys.stderr,
                        )
                        print(explain(term, *r.window, cols), file=sys.stderr)
                        if r.active_seconds:
                            print(
                                f"    active window, bytes each second: {r.active_seconds}",
                                file=sys.stderr,
                            )
                            print(explain(term, *r.active_window, cols), file=sys.stderr)
                    if args.screen or r.error:
                        print("\n".join(term.screen.display), file=sys.stderr)
                        if r.error:
                            print(f"    last bytes: {bytes(term.raw[-300:])!r}", file=sys.stderr)
                    r.term = None  # free the byte log
            print()
            print(table(size, results, args.keys, args.seconds, args.switches), flush=True)
    except Abort as exc:
        print(f"aborted: {exc}", file=sys.stderr)
        return 130
    finally:
        signal.alarm(0)
        for pid in list(LIVE):
            kill_group(pid)
        if cache_dir is not None:
            cache_dir.cleanup()
        if plan_dir is not None:
            plan_dir.cleanup()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
