"""A recorded session read back: the plan it ran, its T-minus clock, its metric samples,
and the folded state at any event (replay), from one read of the log.

The log stays the only source. For jumping around a long log, copies of the folded state
are kept every `log_index.STORED_EVERY` events (the stride of the ones the snapshot
stores); a cursor move folds forward from the nearest one instead of from the first event.

Threads: a replay folds in a worker thread while another thread extends the recording
(a session still being written). One lock per recording serializes them: `extend` holds
it for a whole read, `state_at` and `series_at` for their reads, so a fold never sees
the final state half-way through an event or a sample without its value. The index is
also read without the lock (the timeline bar, the next cursor target): `extend` appends
an event's time and offset before its type, so every event under `count` is whole.
"""

from __future__ import annotations

import dataclasses
import mmap
import os
import threading
from array import array
from bisect import bisect_right, insort
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tminus.backends.base import BackendError, Backends, QueryResult, RangeResult
from tminus.core.records import record
from tminus.engine import log_index
from tminus.engine.history import MetricSeries
from tminus.engine.log_index import Samples, parse_ts
from tminus.engine.session import (
    ENVELOPE,
    Event,
    NewerSchema,
    SessionError,
    decode_line,
    parse_line,
    sample_obj,
)
from tminus.engine.state import SessionState, apply, apply_sample, clone
from tminus.plan.model import Plan

if TYPE_CHECKING:
    from tminus.engine.snapshot import Kept, Loaded

__all__ = ["Recording", "Samples", "Stopped", "extend", "parse_ts", "read_recording"]

STOP_CHECK_EVERY = 500  # events folded between two looks at a fold's `stop`
UNPACKED_KEPT = 4  # stored checkpoints kept unpacked at once
# what "jump to the next decision" stops at
DECISION_PREFIXES = ("trigger.", "rollout.", "rollback.", "phase.signed_off")
DECISION_TYPES = frozenset({"phase.signoff_refused", "session.closed", "item.confirmed"})


NOT_DECISIONS = frozenset({"trigger.pending"})  # a hold timer starting is not yet a decision


class Stopped(Exception):
    """A fold given up because its `stop` said so (its console is closing)."""


def is_decision(event_type: str) -> bool:
    if event_type in NOT_DECISIONS:
        return False
    return event_type.startswith(DECISION_PREFIXES) or event_type in DECISION_TYPES


def plan_of(state: SessionState) -> Plan:
    """The plan a session ran: its file when it still loads, else the embedded default
    (demo sessions, and a plan file that moved away)."""
    from tminus.plan.loader import PlanError, default_plan, load_plan

    path = state.plan_path
    if path and not path.startswith("<") and Path(path).exists():
        try:
            return load_plan(path)
        except PlanError:
            pass
    plan = default_plan()
    return plan


def tminus_seconds(state: SessionState, ts: str) -> float | None:
    """T-minus of a wall-clock timestamp as the console counted it (negative before T-0)."""
    t0 = state.t0 or str(state.info.get("t0", ""))  # older logs: the plan's T-0
    if not t0:
        return None
    return (parse_ts(ts) - parse_ts(t0)) * (state.speed or 1.0)


class RecordedMetrics:
    """A metrics backend that answers nothing: replay and attach draw recorded samples."""

    async def query(self, promql: str, *, timeout: float) -> QueryResult:
        raise BackendError("recorded", "recorded session: no live queries")

    async def query_range(
        self, promql: str, *, start: float, end: float, step: float, timeout: float
    ) -> RangeResult:
        raise BackendError("recorded", "recorded session: no live queries")


@record
class Recording:
    path: Path
    final: SessionState
    times: array[float]  # per event index
    types: list[str]  # per event index (interned strings)
    offsets: array[int]  # byte offset of each event's line
    samples: dict[str, Samples]
    # (events folded, state copy) every STORED_EVERY events: made by a whole read, and
    # by cursor moves where none is stored
    checkpoints: list[tuple[int, SessionState]]
    warnings: list[str]
    size: int
    lines: int = 0  # complete lines read (blank and damaged ones too)
    skipped: list[int] = field(default_factory=list)  # damaged lines' numbers
    base: Loaded | None = None  # the snapshot it started from, when one was trusted
    # the states after every STORED_EVERY events that the snapshot keeps, for cursor moves
    # and the snapshot written next: packed ones read from it, and those made by a read
    # that opens at the end (its newest few as copies, the older packed)
    stored: Kept = field(default_factory=dict)
    # the few stored ones unpacked lately (a week has 35: all unpacked would not fit)
    unpacked: OrderedDict[int, SessionState] = field(default_factory=OrderedDict)
    # held by `extend` and by the reads that fold or take samples (see the module's doc)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    @property
    def count(self) -> int:
        return len(self.types)

    def state_at(self, cursor: int, stop: Callable[[], bool] | None = None) -> SessionState:
        """The folded state after the first `cursor` events (0: nothing yet). Checkpoints
        missing on the way (a recording opened from a snapshot has none) are made as
        the fold passes them, so only the first move into a stretch pays for it. `stop`,
        asked every few hundred events, gives the fold up (raises Stopped)."""
        with self.lock:
            return self._state_at(cursor, stop)

    def _state_at(self, cursor: int, stop: Callable[[], bool] | None) -> SessionState:
        cursor = max(0, min(cursor, self.count))
        if cursor == self.count:
            return clone(self.final)
        counts = [c for c, _ in self.checkpoints]
        i = bisect_right(counts, cursor) - 1
        done, base = self.checkpoints[i] if i >= 0 else (0, SessionState())
        kept = max((c for c in self.stored if done < c <= cursor), default=0)
        if kept:  # a checkpoint from the snapshot is nearer
            done, base = kept, self._unpack(kept)
        state = clone(base)
        if cursor > done:
            self._fold(state, done, cursor, counts, stop)
        return state

    def _unpack(self, count: int) -> SessionState:
        kept = self.stored[count]
        if not isinstance(kept, bytes):  # a copy not packed yet
            return kept
        found = self.unpacked.get(count)
        if found is None:
            from tminus.engine.snapshot import unpack_state

            found = self.unpacked[count] = unpack_state(kept)
            while len(self.unpacked) > UNPACKED_KEPT:
                self.unpacked.popitem(last=False)
        self.unpacked.move_to_end(count)
        return found

    def _fold(
        self,
        state: SessionState,
        start: int,
        end: int,
        counts: list[int],
        stop: Callable[[], bool] | None = None,
    ) -> None:
        """Fold the indexed events `start`..`end` one line at a time (samples without an
        Event, as the first read), keeping a checkpoint at each one missing on the way
        (a fold starts from the nearest made or stored one, so it passes neither)."""
        every = log_index.STORED_EVERY
        with open(self.path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as m:
            for n in range(start + 1, end + 1):
                if stop is not None and n % STOP_CHECK_EVERY == 0 and stop():
                    raise Stopped(f"fold to {end} stopped at {n}")
                begin = self.offsets[n - 1]
                raw = m[begin : m.find(b"\n", begin) + 1]
                obj = sample_obj(raw)
                if obj is not None:
                    apply_sample(state, obj)
                else:
                    apply(state, parse_line(raw[:-1]))
                if n % every == 0 and n not in counts:
                    insort(self.checkpoints, (n, clone(state)), key=lambda c: c[0])

    def _events(self, start: int, stop: int) -> list[Event]:
        """The indexed events `start`..`stop`, each read at its own offset: a damaged or
        out-of-order line between them was skipped on the first read, and is again."""
        events = []
        with open(self.path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as m:
            for i in range(start, stop):
                begin = self.offsets[i]
                events.append(parse_line(m[begin : m.find(b"\n", begin)]))
        return events

    def event(self, index: int) -> Event:
        return self._events(index, index + 1)[0]

    def next_decision(self, cursor: int, direction: int) -> int:
        """The cursor just after the next (or previous) decision event."""
        if direction > 0:
            for i in range(cursor, self.count):
                if is_decision(self.types[i]):
                    return i + 1
            return self.count
        for i in range(cursor - 2, -1, -1):
            if is_decision(self.types[i]):
                return i + 1
        return 0

    def at_time(self, t: float) -> int:
        """The cursor after every event up to time `t`."""
        return bisect_right(self.times, t)

    def time_at(self, cursor: int) -> float | None:
        """Wall time of the last event before `cursor` (None before the first)."""
        return self.times[cursor - 1] if cursor > 0 else None

    def launch_time(self, wall: float) -> float:
        """A wall-clock instant as the console's launch clock read it (demo: faster)."""
        st = self.final
        t0 = st.t0 or str(st.info.get("t0", ""))
        plan_t0 = str(st.info.get("t0", "")) or t0
        if not t0:
            return wall
        return parse_ts(plan_t0) + (wall - parse_ts(t0)) * (st.speed or 1.0)

    def series_at(self, metric_id: str, cursor: int, capacity: int) -> MetricSeries:
        with self.lock:  # `extend` appends a sample's time, then its value
            return self._series_at(metric_id, cursor, capacity)

    def _series_at(self, metric_id: str, cursor: int, capacity: int) -> MetricSeries:
        series = MetricSeries(metric_id, capacity=capacity)
        samples = self.samples.get(metric_id)
        if samples is None or cursor == 0:
            return series
        t = self.times[cursor - 1]
        n = samples.until(t)
        start = max(0, n - capacity)
        pts = [
            (self.launch_time(t), v)
            for t, v in zip(samples.times[start:n], samples.values[start:n], strict=True)
        ]
        if pts:
            series.backfill(pts[:-1])
            last_t, last_v = pts[-1]
            series.add(datetime.fromtimestamp(last_t, UTC), last_v)
            series.received = None  # a recorded value is never "stale" in real time
        return series


def read_recording(
    path: Path,
    visit: Callable[[Event], None] | None = None,
    *,
    final_only: bool = False,
    visit_types: frozenset[str] | None = None,
) -> Recording:
    """The final state, a light index, samples (and checkpoints); `visit` sees every
    event but the samples on the way (a report gathers its parts in the same pass).

    `final_only` (a report, attach, a replay that opens at the end): no checkpoints while
    reading (a replay makes them on its first moves back); when a snapshot beside the
    log can be trusted, the state, the index and the samples start from it, and only the
    lines after it are read (and checked, and folded). `visit` then sees the events it
    covers read at their offsets in the index; with `visit_types`, only those types (the
    few a report needs), so the cost is the snapshot's size plus the lines after it."""
    if not path.exists():
        raise SessionError(f"{path}: no such session file")
    rec = Recording(path, SessionState(), array("d"), [], array("q"), {}, [], [], 0)
    wanted = visit_types
    if final_only:
        from tminus.engine.snapshot import load_snapshot

        loaded = load_snapshot(path)
        index = loaded.index() if loaded is not None else None
        if loaded is not None and index is not None:
            rec.times, rec.types, rec.offsets = index.times, index.types, index.offsets
            rec.samples = index.samples
            rec.size, rec.lines = index.offset, index.lines
            rec.final = loaded.state
            rec.warnings = list(loaded.warnings)
            rec.skipped = sorted(loaded.skipped)
            rec.stored.update(index.checkpoints)
            rec.base = loaded
            if visit is not None:
                for ev in _indexed_events(rec, wanted):
                    visit(ev)
    if visit is not None and wanted is not None:
        inner = visit

        def visit_some(ev: Event) -> None:
            if ev.type in wanted:
                inner(ev)

        extend(rec, visit_some, checkpoints=not final_only)
    else:
        extend(rec, visit, checkpoints=not final_only)
    return rec


def _indexed_events(rec: Recording, wanted: frozenset[str] | None) -> list[Event]:
    """The indexed events of these types (all but samples when None), each decoded at
    its offset: lines a trusted snapshot says were checked, so not checked again."""
    if wanted is None:
        picked = [i for i, t in enumerate(rec.types) if t != "metric.sample"]
    else:
        picked = [i for i, t in enumerate(rec.types) if t in wanted]
    events: list[Event] = []
    if not picked:
        return events
    # each line read on its own (no mapping of the file: a week's decisions are spread
    # over every page of it, and a mapping would make them all resident)
    offsets, last = rec.offsets, len(rec.offsets) - 1
    with open(rec.path, "rb") as fh:
        fd = fh.fileno()
        for i in picked:
            begin = offsets[i]
            end = offsets[i + 1] if i < last else rec.size
            data = os.pread(fd, end - begin, begin)
            raw = decode_line(data[: data.index(b"\n")])
            events.append(
                Event(
                    seq=raw["seq"],
                    ts=raw["ts"],
                    type=raw["type"],
                    data={k: v for k, v in raw.items() if k not in ENVELOPE},
                    actor=raw.get("actor"),
                    v=raw.get("v", 1),
                    os_user=raw.get("os_user"),
                )
            )
    return events


def _add_sample(rec: Recording, obj: dict[str, Any], t: float) -> None:
    s = rec.samples.get(obj["metric"])
    if s is None:
        s = rec.samples[str(obj["metric"])] = Samples()
    s.times.append(t)
    s.values.append(float(obj["value"]))


def extend(
    rec: Recording, visit: Callable[[Event], None] | None = None, *, checkpoints: bool = True
) -> int:
    """Read complete lines appended since the last read (a session still being
    written); returns how many events were added. Holds the recording's lock."""
    with rec.lock:
        return _extend(rec, visit, checkpoints=checkpoints)


def _extend(rec: Recording, visit: Callable[[Event], None] | None, *, checkpoints: bool) -> int:
    state = rec.final
    intern: dict[str, str] = {}
    added = 0
    with open(rec.path, "rb") as fh:
        fh.seek(rec.size)
        pos = rec.size
        lineno = rec.lines
        for line in fh:
            if not line.endswith(b"\n"):
                break  # still being written (or torn): read again next time
            start, pos = pos, pos + len(line)
            lineno += 1
            rec.size = pos
            rec.lines = lineno
            if not line.strip():
                continue
            try:
                obj = sample_obj(line)  # most of a long log: checked without an Event
                ev = None if obj is not None else parse_line(line[:-1])
            except NewerSchema as exc:  # the same words as every read of a log (scan_events)
                rec.warnings.append(f"{rec.path.name}:{lineno}: refused: {exc}")
                rec.skipped.append(lineno)
                continue
            except ValueError as exc:  # EventSchemaError, bad UTF-8
                rec.warnings.append(f"{rec.path.name}:{lineno}: invalid event skipped: {exc}")
                rec.skipped.append(lineno)
                continue
            seq = int(obj["seq"]) if obj is not None else ev.seq  # type: ignore[union-attr]
            if seq <= state.last_seq:
                what = "repeats" if seq == state.last_seq else "goes back from"
                rec.warnings.append(
                    f"{rec.path.name}:{lineno}: seq {seq} {what} seq {state.last_seq}; "
                    "event skipped"
                )
                rec.skipped.append(lineno)
                continue
            if obj is not None:
                type_ = "metric.sample"
                apply_sample(state, obj)
                _add_sample(rec, obj, parse_ts(obj["ts"]))
                t = rec.samples[str(obj["metric"])].times[-1]
            else:
                assert ev is not None
                type_ = ev.type
                t = parse_ts(ev.ts)
                apply(state, ev)
                if visit is not None:
                    visit(ev)
            # the type last: `count` (its length) is read without the lock
            rec.times.append(t)
            rec.offsets.append(start)
            rec.types.append(intern.setdefault(type_, type_))
            added += 1
            n = len(rec.types)
            if n % log_index.STORED_EVERY:
                continue
            if checkpoints:
                rec.checkpoints.append((n, clone(state)))
            else:
                # made even for a recording that opens at the end, for the snapshot
                # written next (a copy costs under a millisecond); beyond the newest few
                # they are packed, or a week read without a snapshot would hold 70
                from tminus.engine.snapshot import pack_oldest

                rec.stored[n] = clone(state)
                pack_oldest(rec.stored)
    return added


def with_recorded_metrics(backends: Backends) -> Backends:
    """The same backends, but metrics come from the log (never queried live)."""
    return dataclasses.replace(backends, metrics=RecordedMetrics())
