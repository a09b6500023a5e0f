"""The light index of a session log that replay and report need: each event's time, type
and byte offset, and every metric's samples, in compact arrays.

It is kept in the snapshot beside the log (`tminus.engine.snapshot`), covering the same
bytes as the folded state there, so opening a recorded session costs the index's size
plus the lines after it, not a read of every line. `index_lines` extends it over lines a
checked read has already passed (their damaged lines are given as skipped): it decodes
only an event's envelope, and a sample line in the writer's layout not even that.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from array import array
from bisect import bisect_right
from collections.abc import Collection
from dataclasses import field
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from tminus.core.records import record
from tminus.engine.session import SAMPLE_LINE, decode_line, open_regular, sample_obj


def parse_ts(ts: str) -> float:
    return datetime.fromisoformat(ts).timestamp()  # 3.11 reads the trailing Z


@record
class Samples:
    """One metric's recorded samples as two compact arrays (unix time, value)."""

    times: array[float] = field(default_factory=lambda: array("d"))
    values: array[float] = field(default_factory=lambda: array("d"))

    def until(self, t: float) -> int:
        return bisect_right(self.times, t)


@record
class LogIndex:
    """The index of a log's first `offset` bytes (`lines` complete lines)."""

    times: array[float] = field(default_factory=lambda: array("d"))  # per event
    types: list[str] = field(default_factory=list)  # per event (interned strings)
    offsets: array[int] = field(default_factory=lambda: array("q"))  # each event's line
    samples: dict[str, Samples] = field(default_factory=dict)
    offset: int = 0
    lines: int = 0
    # the folded state after every STORED_EVERY events, packed (compressed JSON): replay
    # starts a cursor move from the nearest one instead of from the first event
    checkpoints: dict[int, bytes] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.types)

    def add_sample(self, metric: str, t: float, value: float) -> None:
        s = self.samples.get(metric)
        if s is None:
            s = self.samples[metric] = Samples()
        s.times.append(t)
        s.values.append(value)


STORED_EVERY = 10_000  # events between the checkpoints kept in the snapshot
COPIES_KEPT = 8  # of those, made while reading: the newest kept as copies, older packed

# the envelope as the writer lays it out (Event.to_json): time and type without decoding
HEAD = re.compile(rb'\{"v":[0-9]+,"seq":[0-9]+,"ts":"([^"\\]*)","type":"([^"\\]*)"')


def envelope(line: bytes) -> tuple[str, float]:
    """(type, unix time) of a checked event line: from the writer's layout when the
    line has one "type" and one "ts" key (the envelope's, as json reads it), else decoded."""
    head = HEAD.match(line)
    if head is not None and line.count(b'"type":') == 1 and line.count(b'"ts":') == 1:
        return head.group(2).decode("utf-8"), parse_ts(head.group(1).decode("utf-8"))
    raw = decode_line(line)
    return str(raw["type"]), parse_ts(raw["ts"])


def index_lines(path: Path, index: LogIndex, stop: int, skipped: Collection[int]) -> None:
    """Extend `index` over the complete lines from its end to byte `stop`, lines a checked
    read has passed: `skipped` holds the numbers of the ones it skipped as damaged."""
    if stop <= index.offset:
        return
    intern = {t: t for t in index.types[-1:]}
    fd = open_regular(path, os.O_RDONLY)
    with os.fdopen(fd, "rb") as fh:
        fh.seek(index.offset)
        pos, lineno = index.offset, index.lines
        for line in fh:
            if pos + len(line) > stop or not line.endswith(b"\n"):
                break
            start, pos = pos, pos + len(line)
            lineno += 1
            if lineno in skipped or not line.strip():
                continue
            laid_out = SAMPLE_LINE.match(line) if b'"type":"metric.sample"' in line else None
            if laid_out is not None:  # most of a long log: straight from the match
                type_ = "metric.sample"
                t = parse_ts(laid_out.group(2).decode("utf-8"))
                index.add_sample(laid_out.group(3).decode("utf-8"), t, float(laid_out.group(4)))
            else:
                obj = sample_obj(line)  # a sample in another layout: as a checked read
                if obj is not None:
                    type_ = "metric.sample"
                    t = parse_ts(obj["ts"])
                    index.add_sample(str(obj["metric"]), t, float(obj["value"]))
                else:
                    type_, t = envelope(line)
            index.types.append(intern.setdefault(type_, type_))
            index.times.append(t)
            index.offsets.append(start)
        index.offset, index.lines = pos, lineno


# ---------------------------------------------------------------- in the snapshot file
class BadIndex(ValueError):
    """The stored index does not match its description: not used."""


def encode_index(index: LogIndex) -> tuple[dict[str, Any], list[Any]]:
    """A description (JSON) and the arrays to write after it in this order (buffers,
    not copied into one), with the SHA-256 of their bytes."""
    table = sorted(set(index.types))
    code = {t: n for n, t in enumerate(table)}
    codes = array("I", [code[t] for t in index.types])
    metrics = sorted(index.samples)
    parts: list[Any] = [index.times, index.offsets, codes]
    for m in metrics:
        s = index.samples[m]
        parts += [s.times, s.values]
    stored = sorted(index.checkpoints.items())
    parts += [packed for _, packed in stored]
    h = hashlib.sha256()
    for part in parts:
        h.update(part)
    desc = {
        "byteorder": sys.byteorder,
        "sizes": [array("d").itemsize, array("q").itemsize, array("I").itemsize],
        "offset": index.offset,
        "lines": index.lines,
        "events": len(index.types),
        "types": table,
        "metrics": [[m, len(index.samples[m].times)] for m in metrics],
        "checkpoints": [[count, len(packed)] for count, packed in stored],
        "bytes": sum(memoryview(part).nbytes for part in parts),
        "sha256": h.hexdigest(),
    }
    return desc, parts


def read_index(desc: dict[str, Any], fh: BinaryIO) -> LogIndex:
    """The index back from `encode_index`, read from `fh` (at the first byte of the
    arrays) straight into the arrays, each hashed as it lands (no copy of the whole);
    any mismatch with the description raises BadIndex."""
    try:
        sizes = [array("d").itemsize, array("q").itemsize, array("I").itemsize]
        if desc["byteorder"] != sys.byteorder or desc["sizes"] != sizes:
            raise BadIndex("written on another kind of machine")
        n, table = int(desc["events"]), [str(t) for t in desc["types"]]
        index = LogIndex(offset=int(desc["offset"]), lines=int(desc["lines"]))
        h = hashlib.sha256()
        done = 0

        def take(typecode: str, count: int) -> array[Any]:
            nonlocal done
            arr: array[Any] = array(typecode)
            if count < 0:
                raise BadIndex("a negative length")
            try:
                arr.fromfile(fh, count)
            except EOFError:
                raise BadIndex("its bytes end early") from None
            h.update(arr)
            done += arr.itemsize * count
            return arr

        index.times = take("d", n)
        index.offsets = take("q", n)
        codes = take("I", n)
        index.types = [table[c] for c in codes]
        del codes
        for metric, count in desc["metrics"]:
            index.samples[str(metric)] = Samples(take("d", int(count)), take("d", int(count)))
        for count, size in desc["checkpoints"]:
            if not 0 < int(count) <= n:
                raise BadIndex("a checkpoint past its events")
            packed = take("B", int(size)).tobytes()
            index.checkpoints[int(count)] = packed
        if done != desc["bytes"] or fh.read(1):
            raise BadIndex("its size does not match its description")
        if h.hexdigest() != desc["sha256"]:
            raise BadIndex("its bytes differ from the ones written")
        return index
    except (KeyError, TypeError, IndexError, ValueError, OverflowError) as exc:
        if isinstance(exc, BadIndex):
            raise
        raise BadIndex(f"unreadable ({exc})") from None
