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
import fcntl
import getpass
import json
import os
import queue
import secrets
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tminus.core.paths import sessions_dir
from tminus.core.redact import scrub

SCHEMA_VERSION = 1
ENVELOPE = ("v", "seq", "ts", "type", "actor")

EVENT_TYPES = frozenset(
    {
        "session.started",
        "session.resumed",
        "session.closed",
        "check.started",
        "check.finished",
        "item.confirmed",
        "criterion.confirmed",
        "phase.signed_off",
        "metric.sample",
        "trigger.fired",
        "trigger.cleared",
        "trigger.declared",
        "rollout.requested",
        "rollout.applied",
        "rollout.failed",
        "rollback.armed",
        "rollback.step_started",
        "rollback.step_finished",
        "rollback.completed",
        "rollback.aborted",
        "note.added",
    }
)


def now_utc() -> datetime:
    return datetime.now(UTC)


def iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def current_actor() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return f"{user}@{socket.gethostname()}"


@dataclass(frozen=True)
class Event:
    seq: int
    ts: str
    type: str
    data: dict[str, Any] = field(default_factory=dict)
    actor: str | None = None
    v: int = SCHEMA_VERSION

    def to_json(self) -> str:
        obj: dict[str, Any] = {"v": self.v, "seq": self.seq, "ts": self.ts, "type": self.type}
        if self.actor:
            obj["actor"] = self.actor
        obj.update(self.data)
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, default=str)

    @classmethod
    def from_obj(cls, obj: dict[str, Any]) -> Event:
        data = {k: v for k, v in obj.items() if k not in ENVELOPE}
        return cls(
            seq=int(obj["seq"]),
            ts=str(obj["ts"]),
            type=str(obj["type"]),
            data=data,
            actor=obj.get("actor"),
            v=int(obj.get("v", SCHEMA_VERSION)),
        )

    @property
    def time(self) -> datetime:
        return datetime.fromisoformat(self.ts.replace("Z", "+00:00"))


@dataclass
class LoadResult:
    events: list[Event]
    warnings: list[str]
    good_bytes: int  # length of the file up to the last complete, valid line


class SessionError(Exception):
    pass


class SessionLocked(SessionError):
    def __init__(self, path: Path, holder: str) -> None:
        super().__init__(f"session {path.stem} is open for writing by {holder}; open it read-only")
        self.holder = holder


def load_events(path: Path) -> LoadResult:
    """Read a session file. A torn or corrupt last line is reported, never fatal."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SessionError(f"{path}: no such session file") from None
    events: list[Event] = []
    warnings: list[str] = []
    good = 0
    pos = 0
    lineno = 0
    while pos < len(raw):
        nl = raw.find(b"\n", pos)
        end = len(raw) if nl < 0 else nl + 1
        chunk = raw[pos:end]
        lineno += 1
        pos = end
        if not chunk.strip():
            good = end
            continue
        try:
            if nl < 0:
                raise ValueError("no newline: the write was cut short")
            obj = json.loads(chunk)
            if not isinstance(obj, dict) or "seq" not in obj or "type" not in obj:
                raise ValueError("not an event object")
            events.append(Event.from_obj(obj))
            good = end
        except (ValueError, KeyError, TypeError) as exc:
            last = pos >= len(raw)
            what = "torn last line" if last else "unreadable line"
            warnings.append(f"{path.name}:{lineno}: {what} ignored ({exc})")
            if not last:
                continue
    return LoadResult(events, warnings, good)


def new_session_id(label: str) -> str:
    stamp = now_utc().strftime("%Y%m%dT%H%M%SZ")
    safe = "".join(c if c.isalnum() else "-" for c in label.lower()).strip("-")[:24] or "plan"
    return f"{stamp}-{safe}-{secrets.token_hex(2)}"


Listener = Callable[[Event], None]
BatchListener = Callable[[list[Event]], None]
# who waits for an event to be durable: a thread (concurrent future) or a coroutine on a loop
Waiter = concurrent.futures.Future[Event] | tuple[asyncio.AbstractEventLoop, asyncio.Future[Event]]


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

    def __init__(self, path: Path, *, resume: bool) -> None:
        self.path = path
        self.lock_path = path.with_suffix(".lock")
        self._lock_fd = self._acquire_lock()
        self._listeners: list[Listener] = []
        self._batch_listeners: list[BatchListener] = []
        self._seq_lock = threading.Lock()
        self.recovered: list[str] = []
        try:
            self._seq = 0
            if resume:
                loaded = load_events(path)
                self.recovered = loaded.warnings
                if loaded.good_bytes < path.stat().st_size:
                    # cut the torn tail so the next line starts clean
                    with open(path, "r+b") as fh:
                        fh.truncate(loaded.good_bytes)
                        os.fsync(fh.fileno())
                self._seq = max((e.seq for e in loaded.events), default=0)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            os.chmod(path, 0o600)
            self._fh = os.fdopen(fd, "ab", buffering=0)
            _fsync_dir(path.parent)
        except BaseException:
            self._release_lock()
            raise
        self._queue: queue.Queue[tuple[bytes, Event, Waiter] | None] = queue.Queue()
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
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                holder = os.read(fd, 4096).decode("utf-8", "replace").strip() or "another process"
            finally:
                os.close(fd)
            raise SessionLocked(self.path, holder) from None
        os.ftruncate(fd, 0)
        info = f"{current_actor()} (pid {os.getpid()}, since {iso(now_utc())})"
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

    def subscribe_batch(self, listener: BatchListener) -> None:
        """Called from the writer thread once per durable batch (one wake-up, not one per
        event, for a view on another thread's event loop)."""
        self._batch_listeners.append(listener)

    def _make(self, type_: str, actor: str | None, data: dict[str, Any]) -> tuple[bytes, Event]:
        if type_ not in EVENT_TYPES:
            raise ValueError(f"unknown event type {type_!r}")
        clean = scrub({k: v for k, v in data.items() if k not in ENVELOPE})
        event = Event(seq=self._seq + 1, ts=iso(now_utc()), type=type_, data=clean, actor=actor)
        return (event.to_json() + "\n").encode("utf-8"), event

    def _enqueue(self, type_: str, actor: str | None, data: dict[str, Any], make: Any) -> Any:
        if self.closed:
            raise SessionError(f"session {self.session_id} is closed")
        with self._seq_lock:  # seq order == queue order == file order
            line, event = self._make(type_, actor, data)
            self._seq = event.seq
            waiter = make()
            self._queue.put((line, event, waiter))
        return waiter

    def submit(
        self, type_: str, actor: str | None = None, **data: Any
    ) -> concurrent.futures.Future[Event]:
        fut: concurrent.futures.Future[Event] = self._enqueue(
            type_, actor, data, concurrent.futures.Future
        )
        return fut

    def append(self, type_: str, actor: str | None = None, **data: Any) -> Event:
        """Write one event and return once it is on disk."""
        return self.submit(type_, actor, **data).result()

    async def emit(self, type_: str, actor: str | None = None, **data: Any) -> Event:
        """Like append, without blocking the event loop while the disk works."""
        loop = asyncio.get_running_loop()
        waiter = self._enqueue(type_, actor, data, lambda: (loop, loop.create_future()))
        event: Event = await waiter[1]
        return event

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
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
            try:
                self._fh.write(b"".join(line for line, _, _ in batch))
                os.fsync(self._fh.fileno())
            except OSError as exc:
                error = SessionError(f"cannot write {self.path}: {exc}")
            events = [event for _, event, _ in batch]
            if error is None:
                for event in events:
                    for listener in list(self._listeners):
                        with contextlib.suppress(Exception):  # a view's bug must not stop the log
                            listener(event)
                for batch_listener in list(self._batch_listeners):
                    with contextlib.suppress(Exception):
                        batch_listener(events)
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


def open_session(path: Path) -> SessionWriter:
    return SessionWriter(path, resume=True)


def session_files(directory: Path | None = None) -> Iterator[Path]:
    base = directory or sessions_dir()
    yield from sorted(base.glob("*.jsonl"))


def holder_of(path: Path) -> str | None:
    """Who writes this session now, or None when nobody holds its lock."""
    lock = path.with_suffix(".lock")
    try:
        fd = os.open(lock, os.O_RDONLY)
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
