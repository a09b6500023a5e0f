"""The session log: an append-only JSON Lines file, one event a line, fsynced.

One writer per session, enforced with an advisory lock whose file names the holder.
Writes go through one writer thread that batches concurrent events into one fsync
(group commit), so a hundred checks finishing at once cost a handful of fsyncs and the
event loop never waits on the disk. `append` and `emit` return only once the event is
on disk: an action is reported done only after its event is durable.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import errno
import fcntl
import getpass
import json
import os
import queue
import re
import secrets
import socket
import stat
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from tminus.core.paths import sessions_dir
from tminus.core.records import record
from tminus.core.redact import json_is_clean, scrub
from tminus.engine.event_basics import EventSchemaError

if TYPE_CHECKING:
    from tminus.engine.events import EventData

ENVELOPE = ("v", "seq", "ts", "type", "actor", "os_user")
# one encoder for every line: json.dumps with options builds a new one per call
# (no circular check: an event is built from plain data, never from a structure that
# contains itself, and the check costs a dict insert per container)
_encode = json.JSONEncoder(
    separators=(",", ":"), ensure_ascii=False, default=str, check_circular=False
).encode
# group commit: an event queued within BUSY_WITHIN of the last batch waits GROUP_DELAY for
# others to share its write and fsync; a lone event (a person's action) goes at once
GROUP_DELAY = 0.002
BUSY_WITHIN = 0.01
MAX_LINE = 8 * 1024 * 1024  # one event; a longer line is damage, not data


def now_utc() -> datetime:
    return datetime.now(UTC)


def iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def os_user() -> str:
    """`user@host` of this process: on a shared bastion account, not yet the person."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return f"{user}@{socket.gethostname()}"


ACTOR_ENV = "TMINUS_ACTOR"
SYSTEM_ACTOR = "tminus"  # what tminus does on its own (scheduled runs, triggers)


def current_actor(name: str | None = None) -> str:
    """Who acts: `--as NAME`, else $TMINUS_ACTOR, else the OS user."""
    chosen = (name or os.environ.get(ACTOR_ENV) or "").strip()
    return chosen or os_user()


@record(frozen=True)
class Event:
    """One line of the session log."""

    seq: int
    ts: str
    type: str
    data: dict[str, Any] = field(default_factory=dict)
    actor: str | None = None
    v: int = 1
    os_user: str | None = None  # the OS account beside a person named with --as
    # the typed payload built when the line was checked (read back from a file only): the
    # fold reuses what it parsed (a check result) instead of parsing the line's fields again
    payload: EventData | None = field(default=None, compare=False, repr=False)

    def to_json(self) -> str:
        obj: dict[str, Any] = {"v": self.v, "seq": self.seq, "ts": self.ts, "type": self.type}
        if self.actor:
            obj["actor"] = self.actor
        if self.os_user:
            obj["os_user"] = self.os_user
        obj.update(self.data)
        return _encode(obj)

    @property
    def time(self) -> datetime:
        return datetime.fromisoformat(self.ts.replace("Z", "+00:00"))


class NewerSchema(EventSchemaError):
    """An event written by a newer tminus: this version cannot know what it means."""


def _envelope_int(obj: dict[str, Any], key: str, default: int | None = None) -> int:
    value = obj.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise EventSchemaError(f"{key!r} must be a whole number of 1 or more, not {value!r}")
    return value


def event_from_obj(obj: Any) -> Event:
    """One event from a decoded line, checked against the schema."""
    if not isinstance(obj, dict):
        raise EventSchemaError("not an event object")
    type_ = obj.get("type")
    if not isinstance(type_, str):
        raise EventSchemaError("no event type")
    from tminus.engine.events import event_class, parse_payload  # off the first frame's path

    cls = event_class(type_)
    v = _envelope_int(obj, "v", 1)
    if v > cls.VERSION:
        raise NewerSchema(
            f"{type_} event of schema version {v}, written by a newer tminus "
            f"(this one reads up to version {cls.VERSION})"
        )
    seq = _envelope_int(obj, "seq")
    ts = obj.get("ts")
    try:
        if not isinstance(ts, str):
            raise ValueError
        datetime.fromisoformat(ts.replace("Z", "+00:00"))
    except ValueError:
        raise EventSchemaError(f"'ts' is not an ISO 8601 time: {ts!r}") from None
    actor = obj.get("actor")
    if actor is not None and not isinstance(actor, str):
        raise EventSchemaError(f"'actor' is not text: {actor!r}")
    who = obj.get("os_user")
    if who is not None and not isinstance(who, str):
        raise EventSchemaError(f"'os_user' is not text: {who!r}")
    data = {k: val for k, val in obj.items() if k not in ENVELOPE}
    payload = parse_payload(type_, data)
    return Event(
        seq=seq, ts=ts, type=type_, data=data, actor=actor, v=v, os_user=who, payload=payload
    )


_decode = json.JSONDecoder().decode  # str in: skips json.loads' encoding detection


def decode_line(raw: bytes) -> Any:
    """A line's JSON, unchecked (for lines already checked, under a trusted snapshot)."""
    return _decode(raw.decode("utf-8"))


_SAMPLE_KEYS = frozenset({*ENVELOPE, "metric", "value", "at"})
# a sample line exactly as the writer lays it out (Event.to_json, MetricsPoller): read
# without the JSON decoder; anything else (labels, NaN, escapes, another order) is decoded
_TEXT = rb'"([^"\\\x00-\x1f]*)"'
SAMPLE_LINE = re.compile(
    rb'\{"v":1,"seq":([1-9][0-9]{0,17}),"ts":' + _TEXT + rb',"type":"metric\.sample",'
    rb'"metric":' + _TEXT + rb',"value":(-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)'
    rb'(?:,"at":' + _TEXT + rb")?\}\n?\Z"
)


def _laid_out_sample(raw: bytes) -> dict[str, Any] | None:
    """The object json would decode from a sample line in the writer's layout, or None."""
    m = SAMPLE_LINE.match(raw)
    if m is None:
        return None
    seq, ts, metric, number, at = m.groups()
    try:
        obj: dict[str, Any] = {
            "v": 1,
            "seq": int(seq),
            "ts": ts.decode("utf-8"),
            "type": "metric.sample",
            "metric": metric.decode("utf-8"),
            # as json reads a number: a fraction or an exponent makes a float
            "value": float(number) if number.strip(b"-0123456789") else int(number),
        }
        if at is not None:
            obj["at"] = at.decode("utf-8")
    except UnicodeDecodeError:
        return None  # the decoder says what is wrong
    return obj


def sample_obj(raw: bytes) -> dict[str, Any] | None:
    """A `metric.sample` line as a plain checked object (most of a long log), or None for
    any other line. Checks what MetricSample checks, without building the Event."""
    if b'"type":"metric.sample"' not in raw:
        return None
    laid_out = _laid_out_sample(raw)
    if laid_out is not None:
        return laid_out if _times_ok(laid_out) else None
    obj = _decode(raw.decode("utf-8"))
    if not isinstance(obj, dict) or obj.get("type") != "metric.sample" or obj.get("v", 1) != 1:
        return None
    value = obj.get("value")
    if (
        not obj.keys() <= _SAMPLE_KEYS
        or not isinstance(obj.get("metric"), str)
        or not isinstance(obj.get("ts"), str)
        or isinstance(value, bool)
        or not isinstance(value, int | float)
        or not isinstance(obj.get("at", ""), str)
        or not isinstance(obj.get("seq"), int)
        or not _times_ok(obj)
    ):
        return None  # the full check reports what is wrong
    return obj


def _times_ok(obj: dict[str, Any]) -> bool:
    """`ts` and `at` read as ISO 8601 times, as the full check requires (the fold parses
    them: a bad one must be reported and skipped, never stop the read)."""
    try:
        datetime.fromisoformat(obj["ts"].replace("Z", "+00:00"))
        if "at" in obj:
            datetime.fromisoformat(obj["at"].replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def parse_line(raw: bytes) -> Event:
    """One complete line of a session file, or EventSchemaError saying what is wrong."""
    if len(raw) > MAX_LINE:
        raise EventSchemaError(f"line of {len(raw)} bytes is longer than an event can be")
    try:
        obj = _decode(raw.decode("utf-8"))
    except RecursionError:
        raise EventSchemaError("JSON nested too deeply") from None
    except ValueError as exc:
        raise EventSchemaError(f"not JSON: {exc}") from None
    return event_from_obj(obj)


@record
class LoadResult:
    """A session log read whole: its events and the lines skipped."""

    events: list[Event]
    warnings: list[str]  # "file:line: what" for every line that was skipped
    good_bytes: int  # length of the file up to its last newline: a torn tail is cut there
    newer: str = ""  # set when an event needs a newer tminus: do not write to this file


class SessionError(Exception):
    pass


class SessionLocked(SessionError):
    def __init__(self, path: Path, holder: str) -> None:
        super().__init__(f"session {path.stem} is open for writing by {holder}; open it read-only")
        self.holder = holder


def open_regular(path: Path, flags: int, mode: int = 0o600) -> int:
    """Open without following a symlink and without blocking on a FIFO; refuse anything
    but a regular file owned by this user (another user's file is theirs to write)."""
    what = "session file" if path.suffix == ".jsonl" else "lock file"
    try:
        fd = os.open(path, flags | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, mode)
    except FileNotFoundError:
        raise
    except OSError as exc:
        reason = {errno.ELOOP: "a symbolic link", errno.EISDIR: "not a regular file"}.get(
            exc.errno or 0, exc.strerror or str(exc)
        )
        raise SessionError(f"{path}: cannot use this {what}: {reason}") from None
    st = os.fstat(fd)
    problem = ""
    if not stat.S_ISREG(st.st_mode):
        problem = "not a regular file"
    elif st.st_uid != os.getuid():
        problem = f"owned by another user (uid {st.st_uid})"
    elif st.st_nlink > 1:  # a hard link to some other file: writing here would change it
        problem = "it has other hard links"
    if problem:
        os.close(fd)
        raise SessionError(f"{path}: cannot use this {what}: {problem}")
    return fd


@record(frozen=True)
class LogPosition:
    """Where a fold of a log stands: the bytes and lines read, the last seq folded. A scan
    can start here (after a snapshot of the fold) instead of at the first line."""

    offset: int = 0
    lines: int = 0
    last_seq: int = 0
    count: int = 0  # valid events folded


@record
class ScanResult:
    """A session log read through: where it ends and what was skipped."""

    warnings: list[str]
    good_bytes: int  # length of the file up to its last newline: a torn tail is cut there
    last_seq: int
    count: int
    newer: str = ""
    lines: int = 0  # complete lines read, counted from the first line of the file
    torn: str = ""  # the warning about a torn last line (cut before a writer appends)
    skipped: list[int] = field(default_factory=list)  # numbers of the lines skipped

    @property
    def position(self) -> LogPosition:
        return LogPosition(self.good_bytes, self.lines, self.last_seq, self.count)


def scan_events(
    path: Path,
    visit: Callable[[Event], None],
    on_sample: Callable[[dict[str, Any]], None] | None = None,
    *,
    start: LogPosition | None = None,
    stop: int | None = None,
) -> ScanResult:
    """Read a session file once, line by line, handing each valid event to `visit`; no
    list is kept, so a week-long log folds in bounded memory. Damaged lines are reported
    with their number and skipped; only a last line without its newline is a torn write.
    `on_sample` takes `metric.sample` lines as plain checked objects (most of a long
    log), skipping the Event wrapper. `start` continues a scan that stopped there (a
    snapshot's position); `stop` reads no byte at or past that offset (what a writer has
    made durable)."""
    try:
        fd = open_regular(path, os.O_RDONLY)
    except FileNotFoundError:
        raise SessionError(f"{path}: no such session file") from None
    begin = start or LogPosition()
    warnings: list[str] = []
    skipped: list[int] = []
    newer = torn = ""
    good = pos = begin.offset
    lineno, last_seq, count = begin.lines, begin.last_seq, begin.count
    with os.fdopen(fd, "rb") as fh:
        if pos:
            fh.seek(pos)
        for chunk in fh:
            if not chunk.endswith(b"\n"):
                if stop is None:
                    torn = (
                        f"{path.name}:{lineno + 1}: torn last line ignored "
                        "(no newline: the write was cut short)"
                    )
                    warnings.append(torn)
                break
            if stop is not None and pos + len(chunk) > stop:
                break
            lineno += 1
            pos = good = pos + len(chunk)
            if not chunk.strip():
                continue
            try:
                obj = sample_obj(chunk) if on_sample is not None else None
                event = None if obj is not None else parse_line(chunk[:-1])
            except NewerSchema as exc:
                newer = newer or f"{path.name}:{lineno}: {exc}"
                warnings.append(f"{path.name}:{lineno}: refused: {exc}")
                skipped.append(lineno)
                continue
            except (EventSchemaError, ValueError) as exc:
                warnings.append(f"{path.name}:{lineno}: invalid event skipped: {exc}")
                skipped.append(lineno)
                continue
            seq = int(obj["seq"]) if obj is not None else event.seq  # type: ignore[union-attr]
            if seq <= last_seq:
                what = "repeats" if seq == last_seq else "goes back from"
                warnings.append(
                    f"{path.name}:{lineno}: seq {seq} {what} seq {last_seq}; event skipped"
                )
                skipped.append(lineno)
                continue
            last_seq = seq
            count += 1
            if obj is not None:
                assert on_sample is not None
                on_sample(obj)
            else:
                assert event is not None
                visit(event)
    return ScanResult(warnings, good, last_seq, count, newer, lineno, torn, skipped)


def load_events(path: Path) -> LoadResult:
    """Read a whole session file into a list (small files, tests)."""
    events: list[Event] = []
    scanned = scan_events(path, events.append)
    return LoadResult(events, scanned.warnings, scanned.good_bytes, scanned.newer)


def new_session_id(label: str) -> str:
    stamp = now_utc().strftime("%Y%m%dT%H%M%SZ")
    safe = "".join(c if c.isalnum() else "-" for c in label.lower()).strip("-")[:24] or "plan"
    return f"{stamp}-{safe}-{secrets.token_hex(2)}"


def make_event(
    event: str | EventData,
    actor: str | None,
    data: dict[str, Any],
    seq: int,
    os_user: str | None = None,
) -> tuple[bytes, Event]:
    """An event and its line, checked against the schema: nothing off it is ever written."""
    from tminus.engine.events import EventData, parse_payload  # off the first frame's path

    if isinstance(event, EventData):
        if data:
            raise TypeError("pass an event object or keyword fields, not both")
        type_, data, version = event.TYPE, event.payload(), event.VERSION
    else:
        type_ = event
        version = parse_payload(type_, data).VERSION
    ev = Event(
        seq=seq,
        ts=iso(now_utc()),
        type=type_,
        data=data,
        actor=actor,
        v=version,
        os_user=os_user if actor and actor not in (os_user, SYSTEM_ACTOR) else None,
    )
    text = ev.to_json()
    if not json_is_clean(text):  # a secret-named key or a registered secret: redact a copy
        ev = dataclasses.replace(ev, data=scrub(data))
        text = ev.to_json()
    return (text + "\n").encode("utf-8"), ev


class EventLog(Protocol):
    """What a check run writes to: a session file, or memory (`tminus check --no-record`)."""

    @property
    def closed(self) -> bool: ...

    def submit(
        self, event: str | EventData, actor: str | None = None, **data: Any
    ) -> concurrent.futures.Future[Event]: ...

    async def emit(
        self, event: str | EventData, actor: str | None = None, **data: Any
    ) -> Event: ...


class MemoryLog:
    """The writer's interface without a file: events checked, numbered and kept in order."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.closed = False
        self._lock = threading.Lock()

    def submit(
        self, event: str | EventData, actor: str | None = None, **data: Any
    ) -> concurrent.futures.Future[Event]:
        with self._lock:
            _, ev = make_event(event, actor, data, len(self.events) + 1)
            self.events.append(ev)
        fut: concurrent.futures.Future[Event] = concurrent.futures.Future()
        fut.set_result(ev)
        return fut

    async def emit(self, event: str | EventData, actor: str | None = None, **data: Any) -> Event:
        return self.submit(event, actor, **data).result()


Listener = Callable[[Event], None]
BatchListener = Callable[[list[Event]], None]
# who waits for an event to be durable: a thread (concurrent future) or a coroutine on a loop
Waiter = concurrent.futures.Future[Event] | tuple[asyncio.AbstractEventLoop, asyncio.Future[Event]]


def _write_whole(fh: Any, data: bytes) -> None:
    """All of `data`, or OSError: a nearly full disk takes part of a write without an error
    (a short write) and only the next write reports ENOSPC."""
    view = memoryview(data)
    while view:
        written = fh.write(view)
        if not written:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        view = view[written:]


def _resolve(pairs: list[tuple[asyncio.Future[Event], Event | BaseException]]) -> None:
    for fut, outcome in pairs:
        if fut.done():  # the awaiting task was cancelled; the event is on disk regardless
            continue
        if isinstance(outcome, BaseException):
            fut.set_exception(outcome)
        else:
            fut.set_result(outcome)


class SessionWriter:
    """Appends events durably; the only object that writes a session file."""

    def __init__(
        self,
        path: Path,
        *,
        resume: bool,
        on_load: Callable[[Event], None] | None = None,
        on_sample: Callable[[dict[str, Any]], None] | None = None,
        start: LogPosition | None = None,
    ) -> None:
        """`on_load` (and `on_sample`) see every event already in the file when resuming:
        the one read of the log, so the caller folds its state in the same pass. `start`:
        the caller already folded the log up to there (a snapshot), so only the rest is
        read."""
        self.path = path
        self.os_user = os_user()
        self.lock_path = path.with_suffix(".lock")
        self._lock_fd = self._acquire_lock()
        self._listeners: list[Listener] = []
        self._batch_listeners: list[BatchListener] = []
        self._seq_lock = threading.Lock()
        self.recovered: list[str] = []
        self.torn = ""  # the torn last line cut on resume (also in `recovered`)
        self.skipped: list[int] = []  # numbers of the lines the resume read skipped
        self._close_hooks: list[Callable[[], None]] = []
        self.position = LogPosition()  # where the resume read stopped
        try:
            self._seq = 0
            if resume:
                loaded = scan_events(path, on_load or (lambda _event: None), on_sample, start=start)
                if loaded.newer:
                    raise SessionError(f"{loaded.newer}; not resumed, so nothing is lost")
                self.recovered = loaded.warnings
                self.torn = loaded.torn
                self.skipped = loaded.skipped
                fd = open_regular(path, os.O_WRONLY | os.O_APPEND)
                if loaded.good_bytes < os.fstat(fd).st_size:
                    # cut the torn tail (a last line without its newline) so the next
                    # line starts clean; complete lines, even invalid ones, stay
                    os.ftruncate(fd, loaded.good_bytes)
                    os.fsync(fd)
                self._seq = loaded.last_seq
                self.position = loaded.position
            else:  # a new file: never one that is already there
                fd = open_regular(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL)
            os.fchmod(fd, 0o600)
            # bytes on disk and fsynced: a reader of our own file (the snapshot keeper)
            # never reads past it, so a batch that fails and is cut is never folded
            self.durable_size = os.fstat(fd).st_size
            self._fh = os.fdopen(fd, "ab", buffering=0)
            _fsync_dir(path.parent)
        except BaseException:
            self._release_lock()
            raise
        # SimpleQueue: put and get in C, no condition variable to notify per event
        self._queue: queue.SimpleQueue[tuple[bytes, Event, Waiter] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(
            target=self._run, name=f"session-writer-{path.stem}", daemon=True
        )
        self._thread.start()
        self.closed = False

    @property
    def session_id(self) -> str:
        return self.path.stem

    @property
    def last_seq(self) -> int:
        return self._seq

    def _acquire_lock(self) -> int:
        fd = open_regular(self.lock_path, os.O_RDWR | os.O_CREAT)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                holder = os.read(fd, 4096).decode("utf-8", "replace").strip() or "another process"
            finally:
                os.close(fd)
            raise SessionLocked(self.path, holder) from None
        os.ftruncate(fd, 0)  # our own regular file (checked above), and we hold its lock
        info = f"{os_user()} (pid {os.getpid()}, since {iso(now_utc())})"
        os.write(fd, info.encode())
        os.fsync(fd)
        return fd

    def _release_lock(self) -> None:
        with contextlib.suppress(OSError):
            os.ftruncate(self._lock_fd, 0)
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)

    def subscribe(self, listener: Listener) -> None:
        """Called from the writer thread after each event is durable, in seq order."""
        self._listeners.append(listener)

    def on_close(self, hook: Callable[[], None]) -> None:
        """Called once by `close`, after the last write and while the lock is still held
        (a last snapshot of the fold is written there)."""
        self._close_hooks.append(hook)

    def subscribe_batch(self, listener: BatchListener) -> None:
        """Called from the writer thread once per durable batch (one wake-up, not one per
        event, for a view on another thread's event loop)."""
        self._batch_listeners.append(listener)

    def _enqueue(
        self, event: str | EventData, actor: str | None, data: dict[str, Any], make: Any
    ) -> Any:
        if self.closed:
            raise SessionError(f"session {self.session_id} is closed")
        with self._seq_lock:  # seq order == queue order == file order
            line, ev = make_event(event, actor, data, self._seq + 1, self.os_user)
            self._seq = ev.seq
            waiter = make()
            self._queue.put((line, ev, waiter))
        return waiter

    def submit(
        self, event: str | EventData, actor: str | None = None, **data: Any
    ) -> concurrent.futures.Future[Event]:
        fut: concurrent.futures.Future[Event] = self._enqueue(
            event, actor, data, concurrent.futures.Future
        )
        return fut

    def append(self, event: str | EventData, actor: str | None = None, **data: Any) -> Event:
        """Write one event and return once it is on disk. `event` is a type name with its
        fields as keywords, or an events.py object; a payload that does not match the
        schema raises EventSchemaError and nothing is written."""
        return self.submit(event, actor, **data).result()

    async def emit(self, event: str | EventData, actor: str | None = None, **data: Any) -> Event:
        """Like append, without blocking the event loop while the disk works."""
        loop = asyncio.get_running_loop()
        waiter = self._enqueue(event, actor, data, lambda: (loop, loop.create_future()))
        written: Event = await waiter[1]
        return written

    def _run(self) -> None:
        last_batch = 0.0
        while True:
            first = self._queue.get()
            if first is None:
                return
            if self._queue.empty() and time.monotonic() - last_batch < BUSY_WITHIN:
                # busy (a batch just went out): let the next few events join this one, so a
                # run of checks costs one write, fsync and loop wake-up per few ms, not per event
                time.sleep(GROUP_DELAY)
            batch = [first]
            while True:  # group commit: take everything already queued
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self._queue.put(None)
                    break
                batch.append(nxt)
            error: BaseException | None = None
            fd = self._fh.fileno()
            start = os.fstat(fd).st_size
            try:
                data = b"".join(line for line, _, _ in batch)
                _write_whole(self._fh, data)
                os.fsync(fd)
                self.durable_size = start + len(data)
            except OSError as exc:
                error = SessionError(f"cannot write {self.path}: {exc}")
                with contextlib.suppress(OSError):  # cut the torn line: the log stays whole
                    os.ftruncate(fd, start)
            events = [event for _, event, _ in batch]
            if error is None:
                for event in events:
                    for listener in list(self._listeners):
                        with contextlib.suppress(Exception):  # a view's bug must not stop the log
                            listener(event)
                for batch_listener in list(self._batch_listeners):
                    with contextlib.suppress(Exception):
                        batch_listener(events)
            last_batch = time.monotonic()
            by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Event], Any]]] = {}
            for _, event, waiter in batch:
                outcome: Event | BaseException = error if error is not None else event
                if isinstance(waiter, tuple):
                    by_loop.setdefault(waiter[0], []).append((waiter[1], outcome))
                elif isinstance(outcome, BaseException):
                    waiter.set_exception(outcome)
                else:
                    waiter.set_result(outcome)
            for loop, pairs in by_loop.items():  # one wake-up per loop per batch
                with contextlib.suppress(RuntimeError):  # that loop has closed
                    loop.call_soon_threadsafe(_resolve, pairs)

    def close(
        self, *, reason: str = "", actor: str | None = None, mark_closed: bool = True
    ) -> None:
        """Flush, optionally record `session.closed`, release the lock."""
        if self.closed:
            return
        if mark_closed:
            self.append("session.closed", actor=actor, reason=reason)
        self.closed = True
        self._queue.put(None)
        self._thread.join(timeout=10)
        with contextlib.suppress(OSError):
            self._fh.close()
        try:
            for hook in self._close_hooks:
                with contextlib.suppress(Exception):  # a snapshot must never cost the log
                    hook()
        finally:
            self._release_lock()

    def __enter__(self) -> SessionWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close(mark_closed=False)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def create_session(label: str, *, directory: Path | None = None) -> SessionWriter:
    base = directory or sessions_dir()
    path = base / f"{new_session_id(label)}.jsonl"
    return SessionWriter(path, resume=False)


def open_session(
    path: Path,
    on_load: Callable[[Event], None] | None = None,
    on_sample: Callable[[dict[str, Any]], None] | None = None,
    start: LogPosition | None = None,
) -> SessionWriter:
    return SessionWriter(path, resume=True, on_load=on_load, on_sample=on_sample, start=start)


def session_files(directory: Path | None = None) -> Iterator[Path]:
    base = directory or sessions_dir()
    yield from sorted(base.glob("*.jsonl"))


def holder_of(path: Path) -> str | None:
    """Who writes this session now, or None when nobody holds its lock. A lock file that
    is not a regular file of ours raises SessionError."""
    lock = path.with_suffix(".lock")
    try:
        fd = open_regular(lock, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return os.read(fd, 4096).decode("utf-8", "replace").strip() or "another process"
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
