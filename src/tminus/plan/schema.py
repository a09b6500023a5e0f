"""Turn parsed TOML into frozen dataclasses, collecting every problem with its field path.

Dataclass fields drive the conversion: their type hints say what is accepted, and
`metadata` can attach a parser (durations, offsets, conditions). Unknown keys are errors.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import math
import sys
import types
import typing
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, ClassVar, Literal

from tminus.core.conditions import Condition, ConditionError
from tminus.core.durations import DurationError, parse_duration, parse_offset
from tminus.core.records import record

Path = tuple[str | int, ...]


@record(frozen=True)
class Problem:
    """One problem found in a plan: where (a field path) and what."""

    path: Path
    message: str

    @property
    def dotted(self) -> str:
        return format_path(self.path)


def format_path(path: Path) -> str:
    out = ""
    for seg in path:
        if isinstance(seg, int):
            out += f"[{seg}]"
        else:
            out += ("." if out else "") + seg
    return out or "(top)"


class Invalid(Exception):
    """Raised inside a converter; the converter records it as a Problem at the current path."""


# Integers a plan may hold: any count, port or percentage fits easily; the cap keeps
# 5,000-digit numbers out of arithmetic, formatting and JSON.
MAX_INT = 2**53


def _positive_duration(text: Any) -> timedelta:
    value = parse_duration(text)
    if value <= timedelta(0):
        raise DurationError("must be more than 0, e.g. '10s'")
    return value


def duration_field(
    default: timedelta | None = None, *, optional: bool = False, positive: bool = False
) -> Any:
    """A duration; `positive` refuses "0s" (timeouts, intervals)."""
    parse = _positive_duration if positive else parse_duration
    kw: dict[str, Any] = {"metadata": {"parse": parse, "doc": "duration"}}
    if default is not None or optional:
        kw["default"] = default
    return dataclasses.field(**kw)


def offset_field(*, optional: bool = False) -> Any:
    kw: dict[str, Any] = {"metadata": {"parse": parse_offset, "doc": "offset"}}
    if optional:
        kw["default"] = None
    return dataclasses.field(**kw)


def condition_field(*, required: bool = False) -> Any:
    """A condition whose allowed names come from the owning class's FIELDS."""
    meta = {"condition": True, "doc": "condition"}
    if required:
        return dataclasses.field(metadata=meta)
    return dataclasses.field(default=None, metadata=meta)


class Tagged:
    """Base for tables chosen by their `kind` key (check specs, actuators, actions)."""

    KINDS: ClassVar[dict[str, type]]
    FIELDS: ClassVar[tuple[str, ...]] = ()
    TYPES: ClassVar[dict[str, str]] = {}  # field -> number, text, bool, list, map (else any)


@functools.cache
def _table_fields(cls: type) -> dict[str, dataclasses.Field[Any]]:
    """TOML key -> field, once per class (a 10,000-item plan has 10,000 item tables);
    `key` metadata renames (a field cannot be called `for`)."""
    return {
        f.metadata.get("key", f.name): f
        for f in dataclasses.fields(cls)
        if f.init and not f.metadata.get("internal")
    }


class Converter:
    KEEP = 200  # problems kept with their text; the rest are only counted

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.count = 0  # every problem, kept or not

    def fail(self, path: Path, message: str) -> None:
        self.count += 1
        if len(self.problems) < self.KEEP:
            self.problems.append(Problem(path, message))

    def convert(self, tp: Any, raw: Any, path: Path, owner: type | None = None) -> Any:
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if tp is Any:
            return raw
        if origin in (typing.Union, types.UnionType):
            non_none = [a for a in args if a is not type(None)]
            if raw is None:
                return None
            if len(non_none) == 1:
                return self.convert(non_none[0], raw, path, owner)
            for alt in non_none:  # str | tuple[str, ...]: pick by the raw value's shape
                if _shape_matches(alt, raw):
                    return self.convert(alt, raw, path, owner)
            names = " or ".join(_type_name(a) for a in non_none)
            self.fail(path, f"expected {names}, got {_raw_name(raw)}")
            return None
        if origin is Literal:
            if raw not in args:
                allowed = ", ".join(repr(a) for a in args)
                self.fail(path, f"must be one of {allowed}, got {short_repr(raw)}")
            return raw
        if origin in (tuple, list):
            if not isinstance(raw, list):
                self.fail(path, f"expected a list, got {_raw_name(raw)}")
                return ()
            item_tp = args[0]
            return tuple(self.convert(item_tp, v, (*path, i), owner) for i, v in enumerate(raw))
        if origin is dict:
            if not isinstance(raw, dict):
                self.fail(path, f"expected a table, got {_raw_name(raw)}")
                return {}
            val_tp = args[1] if len(args) == 2 else Any
            return {str(k): self.convert(val_tp, v, (*path, str(k)), owner) for k, v in raw.items()}
        if isinstance(tp, type) and issubclass(tp, Tagged) and hasattr(tp, "KINDS"):
            return self._tagged(tp, raw, path)
        if dataclasses.is_dataclass(tp) and isinstance(tp, type):
            return self.table(tp, raw, path)
        return self._scalar(tp, raw, path)

    def _scalar(self, tp: Any, raw: Any, path: Path) -> Any:
        if tp is bool:
            if not isinstance(raw, bool):
                self.fail(path, f"expected true or false, got {_raw_name(raw)}")
            return raw
        if tp is int:
            if isinstance(raw, bool) or not isinstance(raw, int):
                self.fail(path, f"expected an integer, got {_raw_name(raw)}")
            elif not -MAX_INT <= raw <= MAX_INT:
                self.fail(path, "integer out of range")
            return raw
        if tp is float:
            if isinstance(raw, bool) or not isinstance(raw, int | float):
                self.fail(path, f"expected a number, got {_raw_name(raw)}")
                return raw
            if isinstance(raw, int) and not -MAX_INT <= raw <= MAX_INT:
                self.fail(path, "number out of range")
                return raw
            if not math.isfinite(raw):  # TOML allows nan and inf; they are not a setting
                self.fail(path, f"expected a finite number, got {raw!r}")
                return raw
            return float(raw)
        if tp is str:
            if not isinstance(raw, str):
                self.fail(path, f"expected a string, got {_raw_name(raw)}")
            elif "\x00" in raw:  # argv, paths and headers cannot carry it; it hides text
                self.fail(path, "contains a NUL character")
            return raw
        if tp is datetime:
            if not isinstance(raw, datetime):
                self.fail(
                    path, f"expected a date-time like 2026-12-04T16:00:00Z, got {short_repr(raw)}"
                )
                return raw
            if raw.tzinfo is None:
                self.fail(path, "needs a time zone offset, e.g. 2026-12-04T16:00:00Z")
            return raw
        self.fail(path, f"unsupported type {tp!r}")  # pragma: no cover - schema bug
        return raw

    def _tagged(self, base: type[Tagged], raw: Any, path: Path) -> Any:
        if not isinstance(raw, dict):
            self.fail(path, f"expected a table, got {_raw_name(raw)}")
            return None
        kind = raw.get("kind")
        if kind is None:
            self.fail((*path, "kind"), f"missing; one of {', '.join(sorted(base.KINDS))}")
            return None
        cls = base.KINDS.get(kind) if isinstance(kind, str) else None
        if cls is None:
            self.fail(
                (*path, "kind"),
                f"unknown kind {short_repr(kind)}; one of {', '.join(sorted(base.KINDS))}",
            )
            return None
        return self.table(cls, raw, path)

    def table(self, cls: type, raw: Any, path: Path) -> Any:
        if not isinstance(raw, dict):
            self.fail(path, f"expected a table, got {_raw_name(raw)}")
            return None
        hints = _hints(cls)
        fields = _table_fields(cls)
        for key in raw:
            if key not in fields:
                known = ", ".join(sorted(fields))
                self.fail((*path, key), f"unknown field {short_repr(key)} (known: {known})")
        kwargs: dict[str, Any] = {}
        ok = True
        for key, f in fields.items():
            name = f.name
            fpath = (*path, key)
            if key not in raw:
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                    self.fail(fpath, "required field is missing")
                    ok = False
                continue
            value = raw[key]
            before = self.count
            parse: Callable[[Any], Any] | None = f.metadata.get("parse")
            if f.metadata.get("condition"):
                kwargs[name] = self._condition(cls, value, fpath)
            elif parse is not None:
                try:
                    kwargs[name] = parse(value)
                except (DurationError, ValueError) as exc:
                    self.fail(fpath, str(exc))
            else:
                kwargs[name] = self.convert(hints[name], value, fpath, cls)
            if self.count != before:
                ok = False
        if not ok:
            return None
        try:
            obj = cls(**kwargs)
        except Invalid as exc:
            self.fail(path, str(exc))
            return None
        check = getattr(obj, "validate", None)
        if callable(check):
            for sub, message in check():
                self.fail((*path, *sub), message)
        return obj

    def _condition(self, cls: type, value: Any, path: Path) -> Condition | None:
        if not isinstance(value, str):
            self.fail(path, f"expected a condition string, got {_raw_name(value)}")
            return None
        names = getattr(cls, "FIELDS", None) or None
        types = getattr(cls, "TYPES", None) or {}
        # typed fields: the condition is type-checked against what the kind produces
        typed = tuple((n, types.get(n, "any")) for n in names) if names and types else None
        try:
            return _parse_condition(value, tuple(names) if names else None, typed)
        except ConditionError as exc:
            self.fail(path, f"bad condition {short_repr(value)}: {exc}")
            return None


@functools.lru_cache(maxsize=4096)
def _parse_condition(
    text: str, names: tuple[str, ...] | None, typed: tuple[tuple[str, str], ...] | None
) -> Condition:
    # Conditions are immutable: a 10,000-item plan repeating one `expect` parses it once
    return Condition.parse(text, dict(typed) if typed is not None else names)


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    """The class's field types, as `typing.get_type_hints` resolves them (once per class:
    a 1,000-item plan converts 1,000 Items). That one compiles each string annotation on
    its own, some 260 for the plan's classes, a sixth of parsing the default plan before
    the console's first frame; here one class's annotations, from our own source (never
    plan text), are compiled together as one tuple, looked up as it does: the module's
    names first, then the class's."""
    hints: dict[str, Any] = {}
    for base in reversed(cls.__mro__):
        annotations = inspect.get_annotations(base)
        if not annotations:
            continue
        texts = list(annotations.values())
        if not all(isinstance(t, str) for t in texts):
            return typing.get_type_hints(cls)
        module = sys.modules[base.__module__].__dict__
        source = "(" + "".join(f"({t}),\n" for t in texts) + ")"
        values = eval(source, dict(vars(base)), module)  # noqa: S307 - our annotations
        for name, value in zip(annotations, values, strict=True):
            hints[name] = type(None) if value is None else value
    return hints


def _shape_matches(tp: Any, raw: Any) -> bool:
    origin = typing.get_origin(tp)
    if origin in (tuple, list):
        return isinstance(raw, list)
    if origin is dict or (dataclasses.is_dataclass(tp)):
        return isinstance(raw, dict)
    if tp is str:
        return isinstance(raw, str)
    if tp is bool:
        return isinstance(raw, bool)
    if tp in (int, float):
        return isinstance(raw, int | float) and not isinstance(raw, bool)
    return False


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin in (tuple, list):
        return "a list"
    if origin is dict or dataclasses.is_dataclass(tp):
        return "a table"
    return {str: "a string", int: "an integer", float: "a number", bool: "true/false"}.get(
        tp, str(tp)
    )


def _raw_name(raw: Any) -> str:
    if isinstance(raw, bool):
        return f"{str(raw).lower()} (boolean)"
    if isinstance(raw, dict):
        return "a table"
    if isinstance(raw, list):
        return "a list"
    if isinstance(raw, str):
        return f"the string {short_repr(raw)}"
    if isinstance(raw, int | float):
        return f"the number {short_repr(raw)}"
    return type(raw).__name__


def short_repr(raw: Any, limit: int = 80) -> str:
    """repr() cut to a line: a hostile value must not flood the error report."""
    if isinstance(raw, int) and not -MAX_INT <= raw <= MAX_INT:
        return f"<an integer of {len(str(abs(raw)))} digits>"
    text = repr(raw)
    return text if len(text) <= limit else f"{text[: limit - 20]}... ({len(text)} characters)"
