"""Snapshots of the folded state beside the session log, so a week-long session opens fast.

`<id>.snapshot` (0600, in the session's private folder) holds the fold of the log's first
`offset` bytes, with the position reached (bytes, lines, last seq, events) and a SHA-256
of those bytes. Opening a session loads it, checks it, and folds only the lines after it.
Any doubt (missing, unreadable, not ours, a symlink, another format or layout, another
session, a log shorter than the snapshot or different in its first bytes) means a full
fold from the log, and a debug line says why: the log stays the only source of truth, and
deleting every snapshot changes nothing but speed.

A snapshot is never made from the console's live state: the keeper folds the log itself,
as written to disk, in a thread of its own (every `EVERY_EVENTS` events or `EVERY_SECONDS`
seconds, and once more when the writer closes), so by construction it is the same fold
a full read would give. It is written to a temporary file of its own (unique, 0600) and
renamed over the old one, so writers at the same time (a console's keeper and a report)
never mix their bytes: the last rename wins, and each file is whole and checked.

The file also holds the log's index (`tminus.engine.log_index`: each event's time, type
and offset, every metric's samples) over the same bytes, so replay, report and the status
page read the index and the lines after it instead of every line. Its layout: one JSON
line (the position, the fingerprint, the state, the index's description with the SHA-256
of its bytes), then the index's arrays as raw bytes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import re
import secrets
import threading
import types
import typing
import zlib
from collections import deque
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Any, BinaryIO

from tminus.core.records import record
from tminus.core.redact import has_registered_secret, scrub, scrub_values
from tminus.core.ring import PointRing
from tminus.engine import log_index
from tminus.engine.log_index import BadIndex, LogIndex, encode_index, index_lines, read_index
from tminus.engine.session import (
    Event,
    LogPosition,
    ScanResult,
    SessionError,
    SessionWriter,
    open_regular,
    open_session,
    scan_events,
)
from tminus.engine.state import (
    RESULT_HISTORY,
    SAMPLE_HISTORY,
    SessionState,
    apply,
    apply_sample,
    clone,
)

if typing.TYPE_CHECKING:
    from tminus.engine.recording import Recording

log = logging.getLogger("tminus.snapshot")

FORMAT = "tminus-state-snapshot"
VERSION = 2  # bump when SessionState (or what it holds) changes shape
# what the fold keeps: a snapshot made under other bounds is another fold
LAYOUT = {"result_history": RESULT_HISTORY, "sample_history": SAMPLE_HISTORY}
EVERY_EVENTS = 2000
EVERY_SECONDS = 300.0
MAX_SNAPSHOT = 256 * 1024 * 1024  # bytes: a larger file is not one of ours
MAX_WARNINGS = 1000  # damaged lines before the snapshot, still reported on every open
_CHUNK = 1 << 20
_encode = json.JSONEncoder(
    separators=(",", ":"), ensure_ascii=False, default=lambda o: _plain(o)
).encode


def snapshot_path(log_path: Path) -> Path:
    return log_path.with_suffix(".snapshot")


def digest_of(path: Path, stop: int, hasher: Any = None) -> Any:
    """SHA-256 of a file's first `stop` bytes (continuing `hasher` from its own end)."""
    h = hasher if hasher is not None else hashlib.sha256()
    fd = open_regular(path, os.O_RDONLY)
    with os.fdopen(fd, "rb") as fh:
        done = 0
        while done < stop:
            block = fh.read(min(_CHUNK, stop - done))
            if not block:
                raise SessionError(f"{path}: shorter than {stop} bytes")
            h.update(block)
            done += len(block)
    return h


# ---------------------------------------------------------------- state <-> JSON
def _plain(obj: Any) -> Any:
    """The JSON shape of what json cannot write itself: dataclasses, bounded deques and
    point rings (both as their bound and items, so either reads the other's shape)."""
    if isinstance(obj, deque | PointRing):
        return {"maxlen": obj.maxlen, "items": list(obj)}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        # what builds it: a field set after init (a cache, a flag) is not state
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj) if f.init}
    raise TypeError(f"cannot put {type(obj).__name__} in a snapshot")


Decode = Callable[[Any], Any]
_decoders: dict[Any, Decode] = {}


def _same(value: Any) -> Any:
    return value


def _decoder(hint: Any) -> Decode:
    """A decoder for one type hint, built once: the snapshot's JSON back into the exact
    objects the fold keeps (tuples, deques with their bound, enums, dataclasses)."""
    found = _decoders.get(hint)
    if found is not None:
        return found
    made = _make_decoder(hint)
    _decoders[hint] = made
    return made


def _make_decoder(hint: Any) -> Decode:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any or hint in (str, int, float, bool, type(None)):
        return _same
    if hint is PointRing:
        return lambda v: PointRing(((t, x) for t, x in v["items"]), maxlen=v["maxlen"])
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _dataclass_decoder(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        if len(inner) != 1:
            return _same  # unions of plain values: as read
        one = _decoder(inner[0])
        return lambda v: None if v is None else one(v)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            item = _decoder(args[0])
            return lambda v: tuple(item(x) for x in v)
        parts = [_decoder(a) for a in args]
        if all(p is _same for p in parts):
            return tuple
        return lambda v: tuple(p(x) for p, x in zip(parts, v, strict=True))
    if origin is list:
        item = _decoder(args[0])
        return list if item is _same else (lambda v: [item(x) for x in v])
    if origin is dict:
        val = _decoder(args[1])
        return dict if val is _same else (lambda v: {k: val(x) for k, x in v.items()})
    if origin is deque:
        item = _decoder(args[0])
        return lambda v: deque(
            v["items"] if item is _same else map(item, v["items"]), maxlen=v["maxlen"]
        )
    raise TypeError(f"snapshot: no decoder for {hint!r}")


def _dataclass_decoder(cls: type) -> Decode:
    hints = typing.get_type_hints(cls)
    fields = [(f.name, f.init) for f in dataclasses.fields(cls) if f.init]
    decoders: dict[str, Decode] = {}

    def decode(v: dict[str, Any]) -> Any:
        if not decoders:  # filled on first use: hints may point back at this class
            decoders.update({name: _decoder(hints[name]) for name, _ in fields})
        if v.keys() != {name for name, _ in fields}:
            raise ValueError(f"{cls.__name__}: fields {sorted(v)} do not match")
        return cls(**{name: decoders[name](v[name]) for name, _ in fields})

    return decode


def encode_state(state: SessionState) -> str:
    """The state as JSON text, with every registered secret replaced (its fields were
    scrubbed when they were logged: secret-named keys are blank there already)."""
    text = _encode(state)
    if has_registered_secret(text):
        text = _encode(scrub_values(json.loads(text)))
    return text


def decode_state(obj: Any) -> SessionState:
    state = _decoder(SessionState)(obj)
    assert isinstance(state, SessionState)
    return state


# ---------------------------------------------------------------- the file
@record
class Loaded:
    """A fold loaded from a snapshot, and where in the log it stops."""

    state: SessionState
    position: LogPosition
    hasher: Any  # SHA-256 of the log's first position.offset bytes, to continue
    warnings: list[str]  # the damaged lines among them, as a full read reports them
    skipped: frozenset[int]  # their numbers (every other line there passed the schema)
    index_desc: dict[str, Any] = dataclasses.field(default_factory=dict)
    # the snapshot file, still open after its first line: the index is read from the
    # same file on first use (resume never needs it), even if a writer replaced it since
    file: BinaryIO | None = None
    _index: LogIndex | None = None

    def index(self) -> LogIndex | None:
        """The log's index over the same bytes, or None (and a debug line) when it is
        not what was written: then the caller reads the lines itself."""
        if self._index is None and self.file is not None:
            try:
                with self.file as fh:
                    found = read_index(self.index_desc, fh)
                pos = self.position
                if (found.offset, found.lines, found.count) != (pos.offset, pos.lines, pos.count):
                    raise BadIndex("it covers other lines than the state")
            except (BadIndex, OSError) as exc:
                log.debug("snapshot index not used (%s)", exc)
            else:
                self._index = found
            finally:
                self.file = None
        return self._index

    def release(self) -> None:
        """Close the snapshot file when the index will not be read."""
        if self.file is not None:
            self.file.close()
            self.file = None


def pack_state(state: SessionState) -> bytes:
    """A checkpoint kept in the snapshot: the state's JSON, compressed."""
    return zlib.compress(encode_state(state).encode(), 1)


def unpack_state(packed: bytes) -> SessionState:
    return decode_state(json.loads(zlib.decompress(packed)))


def packed(states: Kept) -> dict[int, bytes]:
    return {c: s if isinstance(s, bytes) else pack_state(s) for c, s in states.items()}


def pack_oldest(kept: Kept) -> None:
    """Pack the oldest copies beyond the last `log_index.COPIES_KEPT`."""
    copies = [c for c, s in kept.items() if not isinstance(s, bytes)]
    for count in sorted(copies)[: max(0, len(copies) - log_index.COPIES_KEPT)]:
        kept[count] = pack_state(kept[count])  # type: ignore[arg-type]


Kept = dict[int, SessionState | bytes]  # checkpoints by events folded: copies, or packed


class Checkpointer:
    """Counts the events a fold takes and copies its state after every STORED_EVERY (a
    copy costs under a millisecond; packing it, a tenth of a second, is left to whoever
    writes the snapshot: the keeper's thread, a report after its output). Only the last
    `log_index.COPIES_KEPT` copies wait unpacked, so a week-long fold stays in bounds."""

    def __init__(self, state: SessionState, count: int, into: Kept) -> None:
        self.state, self.count, self.into = state, count, into

    def visit(self, ev: Event) -> None:
        apply(self.state, ev)
        self._counted()

    def sample(self, obj: Any) -> None:
        apply_sample(self.state, obj)
        self._counted()

    def _counted(self) -> None:
        self.count += 1
        if self.count % log_index.STORED_EVERY == 0:
            self.into[self.count] = clone(self.state)
            pack_oldest(self.into)


def write_snapshot(
    log_path: Path,
    state: SessionState,
    position: LogPosition,
    digest: str,
    warnings: list[str] | None = None,
    skipped: list[int] | None = None,
    index: LogIndex | None = None,
    *,
    only_if_newer: bool = False,
) -> bool:
    """Atomically: a temporary file of this writer's own (0600, never following a link),
    fsync, rename. `index` covers the same bytes (an empty one for an empty log).
    `only_if_newer`: leave a snapshot that already covers as much in place (a report
    refreshing it while a console's keeper writes); returns whether it was written."""
    index = index if index is not None else LogIndex()
    if (index.offset, index.lines, index.count) != (
        position.offset,
        position.lines,
        position.count,
    ):
        raise ValueError("the index covers other lines than the state")
    final = snapshot_path(log_path)
    if only_if_newer and _offset_on_disk(final) >= position.offset:
        return False
    desc, parts = encode_index(index)
    head = json.dumps(
        {
            "format": FORMAT,
            "version": VERSION,
            "layout": LAYOUT,
            "session": log_path.stem,
            "offset": position.offset,
            "lines": position.lines,
            "last_seq": position.last_seq,
            "count": position.count,
            "sha256": digest,
            "warnings": (warnings or [])[:MAX_WARNINGS],
            "skipped": skipped or [],
            "index": desc,
        },
        separators=(",", ":"),
    )
    body = f'{head[:-1]},"state":{encode_state(state)}}}\n'.encode()
    # a name of its own: two writers never open, fill or rename each other's file
    tmp = final.with_name(f"{final.name}.{os.getpid()}-{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(body)
            for part in parts:
                fh.write(part)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, final)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return True


_OFFSET = re.compile(rb'"offset":([0-9]+)')


def _offset_on_disk(path: Path) -> int:
    """The offset the snapshot on disk covers (its header comes first), -1 for none."""
    try:
        fd = open_regular(path, os.O_RDONLY)
    except (OSError, SessionError):
        return -1
    with os.fdopen(fd, "rb") as fh:
        found = _OFFSET.search(fh.read(4096))
    return int(found.group(1)) if found else -1


def stale_leftovers(log_path: Path) -> list[Path]:
    """Temporary files of snapshot writers that crashed (for `sessions prune`): each
    writer's own `<id>.snapshot.<tag>.tmp`, and the older shared `<id>.snapshot.tmp`."""
    return sorted(log_path.parent.glob(f"{snapshot_path(log_path).name}.*tmp"))


class Invalid(Exception):
    """Why a snapshot is not used."""


def load_snapshot(log_path: Path) -> Loaded | None:
    """The snapshot of this log when it can be trusted, else None (and a debug line)."""
    path = snapshot_path(log_path)
    try:
        return _load(log_path, path)
    except FileNotFoundError:
        log.debug("%s: no snapshot, folding the whole log", log_path.name)
    except (Invalid, SessionError, OSError, ValueError, TypeError, KeyError) as exc:
        log.debug("%s: snapshot not used (%s), folding the whole log", log_path.name, exc)
    return None


def _load(log_path: Path, path: Path) -> Loaded:
    fd = open_regular(path, os.O_RDONLY)
    fh = os.fdopen(fd, "rb")
    try:
        loaded = _load_from(log_path, fh)
    except BaseException:
        fh.close()
        raise
    loaded.file = fh  # positioned at the index's bytes
    return loaded


def _load_from(log_path: Path, snap: BinaryIO) -> Loaded:
    snap_size = os.fstat(snap.fileno()).st_size
    if snap_size > MAX_SNAPSHOT:
        raise Invalid("larger than a snapshot can be")
    head = snap.readline(snap_size)
    if not head.endswith(b"\n"):
        raise Invalid("cut short")
    obj = json.loads(head)
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise Invalid("not a snapshot")
    if obj.get("version") != VERSION or obj.get("layout") != LAYOUT:
        raise Invalid(f"made by another version ({obj.get('version')})")
    if obj.get("session") != log_path.stem:
        raise Invalid(f"of another session ({obj.get('session')!r})")
    pos = LogPosition(
        int(obj["offset"]), int(obj["lines"]), int(obj["last_seq"]), int(obj["count"])
    )
    if min(pos.offset, pos.lines, pos.last_seq, pos.count) < 0:
        raise Invalid("a negative position")
    fd = open_regular(log_path, os.O_RDONLY)
    with os.fdopen(fd, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size < pos.offset:
            raise Invalid(f"the log is shorter ({size} bytes) than the snapshot ({pos.offset})")
        if pos.offset:
            fh.seek(pos.offset - 1)
            if fh.read(1) != b"\n":
                raise Invalid("its offset is not at the end of a line")
    hasher = digest_of(log_path, pos.offset)
    if hasher.hexdigest() != obj.get("sha256"):
        raise Invalid("the log's first bytes differ from the ones it folded")
    warnings, skipped = obj["warnings"], obj["skipped"]
    if not isinstance(warnings, list) or not all(isinstance(w, str) for w in warnings):
        raise Invalid("its warnings are not a list of text")
    if not isinstance(skipped, list) or not all(type(n) is int for n in skipped):
        raise Invalid("its skipped lines are not a list of numbers")
    state = decode_state(obj["state"])
    if state.last_seq != pos.last_seq:
        raise Invalid("its state and position disagree")
    desc = obj["index"]
    if not isinstance(desc, dict) or desc.get("bytes") != snap_size - len(head):
        raise Invalid("its index is cut short or not described")
    return Loaded(state, pos, hasher, warnings, frozenset(skipped), desc)


# ---------------------------------------------------------------- opening a log
def _folder(state: SessionState) -> tuple[Callable[[Event], None], Callable[[Any], None]]:
    return (lambda ev: apply(state, ev)), (lambda obj: apply_sample(state, obj))


def fold_log(path: Path) -> tuple[SessionState, ScanResult]:
    """`state.fold_file` with the snapshot: its state, then only the lines after it; the
    damaged lines before it are reported from the snapshot, as a full read would."""
    loaded = load_snapshot(path)
    if loaded is not None:
        loaded.release()
    state = loaded.state if loaded is not None else SessionState()
    visit, sample = _folder(state)
    scanned = scan_events(path, visit, sample, start=loaded.position if loaded else None)
    if loaded is not None:
        scanned.warnings[:0] = loaded.warnings
        scanned.skipped[:0] = sorted(loaded.skipped)
    return state, scanned


def resume_session(path: Path, *, snapshots: bool = True) -> tuple[SessionWriter, SessionState]:
    """Open a session for writing with its folded state (snapshot + the lines after it,
    or the whole log), and keep snapshots of it from then on."""
    loaded = load_snapshot(path)
    if loaded is not None and not snapshots:
        loaded.release()
    state = loaded.state if loaded is not None else SessionState()
    stored: Kept = {}  # checkpoints of the lines after the snapshot
    fold = Checkpointer(state, loaded.position.count if loaded else 0, stored)
    writer = open_session(path, fold.visit, fold.sample, start=loaded.position if loaded else None)
    if loaded is not None:
        writer.recovered[:0] = loaded.warnings
        writer.skipped[:0] = loaded.skipped
    if snapshots:
        try:
            written = loaded.position.offset if loaded is not None else -1
            hasher = loaded.hasher if loaded is not None else None
            start = loaded.position.offset if loaded is not None else 0
            hasher = _continue(path, start, writer.position.offset, hasher)
            damaged = [w for w in writer.recovered if w != writer.torn]  # the torn one is cut
            SnapshotKeeper(
                writer,
                clone(state),
                writer.position,
                hasher,
                written=written,
                warnings=damaged,
                skipped=sorted(writer.skipped),
                loaded=loaded,
                checkpoints=stored,
            )
        except (OSError, SessionError) as exc:  # snapshots only ever cost speed
            log.debug("%s: no snapshots kept (%s)", path.name, exc)
    return writer, state


def _continue(path: Path, start: int, stop: int, hasher: Any) -> Any:
    """The SHA-256 of the first `stop` bytes, continuing one of the first `start`."""
    if hasher is None or start == 0:
        return digest_of(path, stop)
    fd = open_regular(path, os.O_RDONLY)
    with os.fdopen(fd, "rb") as fh:
        fh.seek(start)
        left = stop - start
        while left > 0:
            block = fh.read(min(_CHUNK, left))
            if not block:
                raise SessionError(f"{path}: shorter than {stop} bytes")
            hasher.update(block)
            left -= len(block)
    return hasher


def keep_snapshots(writer: SessionWriter) -> SnapshotKeeper:
    """Snapshots for a new session (nothing folded yet)."""
    return SnapshotKeeper(writer, SessionState(), LogPosition(), hashlib.sha256(), written=0)


class SnapshotKeeper:
    """Folds the writer's log as it lands on disk, in its own thread, and writes a
    snapshot every `every_events` events or `every_seconds` seconds (when something new
    was written), and once more when the writer closes."""

    def __init__(
        self,
        writer: SessionWriter,
        base: SessionState,
        position: LogPosition,
        hasher: Any,
        *,
        written: int,
        warnings: list[str] | None = None,
        skipped: list[int] | None = None,
        loaded: Loaded | None = None,
        checkpoints: Kept | None = None,
        every_events: int = EVERY_EVENTS,
        every_seconds: float = EVERY_SECONDS,
    ) -> None:
        self.writer = writer
        self.path = writer.path
        self.state = base  # the fold of the log's first position.offset bytes
        self.position = position
        self.hasher = hasher
        self.written = written  # the offset of the snapshot on disk (-1: none trusted)
        # damaged lines folded past, as a full read reports them
        self.warnings: list[str] = list(warnings or [])
        self.skipped: list[int] = list(skipped or [])
        # the log's index, made in this thread: from the loaded snapshot's (decoded on
        # first use), else from the first line
        self.index: LogIndex | None = None
        self._loaded = loaded
        # copies of the fold made since the last snapshot, packed when it is written
        self.checkpoints: Kept = dict(checkpoints or {})
        self.every_events = every_events
        self.every_seconds = every_seconds
        self._pending = 0
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = False
        self._warned = False  # a failed snapshot was reported once
        writer.subscribe_batch(self._on_batch)
        writer.on_close(self.close)
        self._thread = threading.Thread(
            target=self._run, name=f"session-snapshot-{self.path.stem}", daemon=True
        )
        self._thread.start()
        if self.written != self.position.offset:  # none yet, or an old one: correct it
            self._wake.set()

    def _on_batch(self, events: list[Event]) -> None:
        self._pending += len(events)
        if self._pending >= self.every_events:
            self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait(self.every_seconds)
            self._wake.clear()
            if self._stop:
                return
            self._pending = 0
            try:
                self.snapshot()
            except Exception as exc:  # a full disk, say: the log itself goes on
                self._failed(exc)

    def advance(self) -> None:
        """Fold what the writer made durable since the last advance."""
        stop = self.writer.durable_size
        if stop <= self.position.offset:
            return
        fold = Checkpointer(self.state, self.position.count, self.checkpoints)
        scanned = scan_events(self.path, fold.visit, fold.sample, start=self.position, stop=stop)
        self.warnings += scanned.warnings
        self.skipped += scanned.skipped
        self.hasher = _continue(self.path, self.position.offset, scanned.good_bytes, self.hasher)
        self.position = scanned.position

    def snapshot(self) -> bool:
        """Advance and write a snapshot if the log grew since the last one."""
        with self._lock:
            self.advance()
            if self.position.offset == self.written:
                return False
            if self.index is None:
                made = self._loaded.index() if self._loaded is not None else None
                self.index, self._loaded = made or LogIndex(), None
            index_lines(self.path, self.index, self.position.offset, frozenset(self.skipped))
            self.index.checkpoints.update(packed(self.checkpoints))
            self.checkpoints.clear()
            write_snapshot(
                self.path,
                self.state,
                self.position,
                self.hasher.hexdigest(),
                self.warnings,
                self.skipped,
                self.index,
            )
            self.written = self.position.offset
            return True

    def close(self) -> None:
        """The writer closes (its last event is on disk): stop, and write the last one."""
        self._stop = True
        self._wake.set()
        self._thread.join(timeout=10)
        try:
            self.snapshot()
        except Exception as exc:
            self._failed(exc)

    def _failed(self, exc: Exception) -> None:
        # Only speed is lost, but silently lost speed hides a bug: the first failure is a
        # warning (the console log), the rest are debug lines.
        level = logging.DEBUG if self._warned else logging.WARNING
        self._warned = True
        log.log(level, "%s: snapshot not written (%s)", self.path.name, scrub(str(exc)))


# ---------------------------------------------------------------- readers refresh it
def refresh_snapshot(rec: Recording, *, stale_after: int | None = None) -> str | None:
    """After a read of a recorded session (report, replay, attach, status page): write
    the snapshot when there was none to trust, or it left `stale_after` events or more
    to read, so a log nobody resumes is slow once only. Never takes the writer's lock;
    a snapshot that covers as much already (a console's keeper) is left in place.
    Returns why it could not be written (a read-only folder, say), else None."""
    base = rec.base
    stale_after = EVERY_EVENTS if stale_after is None else stale_after
    if base is not None and rec.count - base.position.count < stale_after:
        return None
    if rec.size == 0:
        return None
    try:
        start = base.position.offset if base is not None else 0
        hasher = _continue(rec.path, start, rec.size, base.hasher.copy() if base else None)
        position = LogPosition(rec.size, rec.lines, rec.final.last_seq, rec.count)
        made: Kept = {c: st for c, st in rec.checkpoints if c not in rec.stored}
        stored = packed({**rec.stored, **made})
        index = LogIndex(
            rec.times, rec.types, rec.offsets, rec.samples, rec.size, rec.lines, stored
        )
        write_snapshot(
            rec.path,
            rec.final,
            position,
            hasher.hexdigest(),
            rec.warnings,
            sorted(rec.skipped),
            index,
            only_if_newer=True,
        )
    except (OSError, SessionError, ValueError) as exc:
        why = f"{rec.path.name}: snapshot not written ({scrub(str(exc))})"
        log.debug("%s", why)
        return why
    return None
