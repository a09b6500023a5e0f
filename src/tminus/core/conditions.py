"""The one small condition grammar shared by checks, metrics, triggers and criteria.

Parsed into a tiny AST and evaluated by walking it; plan text is never passed to eval.

    expr   := or
    or     := and ("or" and)*
    and    := not ("and" not)*
    not    := "not" not | cmp
    cmp    := atom [op atom]         op: == != < <= > >= contains
    atom   := number[unit] | string | true | false | path | len(expr) | abs(expr) | "(" expr ")"
    path   := name ("." segment | "[" integer "]")*      segments may contain '-' (headers.x-cache)

A condition that starts with an operator compares `value`: "< 0.001" means "value < 0.001".
Units: ms s m h d w convert to seconds; % divides by 100 ("0.1%" is 0.001).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from tminus.core.records import record

_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_OPS = ("==", "!=", "<=", ">=", "<", ">")
_KEYWORDS = {"and", "or", "not", "true", "false", "contains"}
_FUNCS = {"len", "abs"}
# Hostile plans must fail fast with a message, not a RecursionError: the recursive-descent
# parser counts its nesting (parentheses, `not`, calls) and conditions have a length cap.
MAX_DEPTH = 32
MAX_TERMS = 128  # `and`/`or` chains build a left-deep tree that later code walks recursively
MAX_LENGTH = 4096

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(?P<unit>ms|%|s|m|h|d|w)?(?![A-Za-z0-9_])
  | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<op>==|!=|<=|>=|<|>)
  | (?P<punct>[().\[\],-])
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*)
    """,
    re.VERBOSE,
)


class ConditionError(ValueError):
    """The condition text does not parse, or names a field the check does not produce."""


class EvalError(ValueError):
    """The condition could not be evaluated against these values (wrong type, missing field)."""


class MissingValue(EvalError):
    """A field the condition reads is absent from the result (e.g. a JSON field not returned)."""


class NotANumber(EvalError):
    """A number the condition compares is NaN or ±Inf: not data, so neither true nor false."""


@record(frozen=True)
class Tok:
    """One token of a condition: its kind, text, position and parsed value."""

    kind: str
    text: str
    pos: int
    value: Any = None


def _tokenize(text: str) -> list[Tok]:
    toks: list[Tok] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ConditionError(f"unexpected character {text[pos]!r} at column {pos + 1}")
        kind = m.lastgroup or ""
        if kind == "unit":  # the unit group closes last when a number carries one
            kind = "num"
        if kind == "num":
            number = float(m.group("num"))
            unit = m.group("unit")
            if unit == "%":
                number /= 100.0
            elif unit:
                number *= _DURATION_UNITS[unit]
            if not math.isfinite(number):
                raise ConditionError(f"number too large at column {pos + 1}")
            toks.append(Tok("num", m.group(0), pos, number))
        elif kind == "str":
            raw = m.group("str")[1:-1]
            toks.append(Tok("str", m.group(0), pos, re.sub(r"\\(.)", r"\1", raw)))
        elif kind == "name":
            word = m.group("name")
            toks.append(Tok("kw" if word in _KEYWORDS else "name", word, pos))
        elif kind != "ws":
            toks.append(Tok(kind, m.group(0), pos))
        pos = m.end()
    return toks


# AST nodes are plain tuples: ("lit", v) ("path", (seg, ...)) ("call", f, node)
# ("cmp", op, l, r) ("and", l, r) ("or", l, r) ("not", node)
Node = tuple[Any, ...]


class _Parser:
    def __init__(self, text: str) -> None:
        if len(text) > MAX_LENGTH:
            raise ConditionError(f"longer than {MAX_LENGTH} characters")
        self.text = text
        self.toks = _tokenize(text)
        self.i = 0
        self.depth = 0
        self.terms = 0

    def _enter(self, tok: Tok) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ConditionError(
                f"nested more than {MAX_DEPTH} deep at column {tok.pos + 1}"
                " (parentheses, not, len/abs)"
            )

    def peek(self) -> Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> Tok:
        tok = self.peek()
        if tok is None:
            raise ConditionError("unexpected end of condition")
        self.i += 1
        return tok

    def expect(self, text: str) -> None:
        tok = self.take()
        if tok.text != text:
            raise ConditionError(f"expected {text!r} at column {tok.pos + 1}, found {tok.text!r}")

    def parse(self) -> Node:
        first = self.peek()
        if first is None:
            raise ConditionError("empty condition")
        if first.kind == "op":  # shorthand: "< 0.001" compares `value`
            op = self.take().text
            node: Node = ("cmp", op, ("path", ("value",)), self.atom())
            node = self._continue_bool(node)
        else:
            node = self.or_()
        extra = self.peek()
        if extra is not None:
            raise ConditionError(f"unexpected {extra.text!r} at column {extra.pos + 1}")
        _require_boolean(node)
        return node

    def _joined(self, tok: Tok) -> None:
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise ConditionError(f"more than {MAX_TERMS} and/or terms at column {tok.pos + 1}")

    def _continue_bool(self, left: Node) -> Node:
        while (tok := self.peek()) is not None and tok.text in ("and", "or"):
            self.take()
            self._joined(tok)
            right = self.and_() if tok.text == "or" else self.not_()
            left = (tok.text, left, right)
        return left

    def or_(self) -> Node:
        node = self.and_()
        while (tok := self.peek()) is not None and tok.text == "or":
            self.take()
            self._joined(tok)
            node = ("or", node, self.and_())
        return node

    def and_(self) -> Node:
        node = self.not_()
        while (tok := self.peek()) is not None and tok.text == "and":
            self.take()
            self._joined(tok)
            node = ("and", node, self.not_())
        return node

    def not_(self) -> Node:
        tok = self.peek()
        if tok is not None and tok.text == "not":
            self.take()
            self._enter(tok)
            node = ("not", self.not_())
            self.depth -= 1
            return node
        return self.cmp()

    def cmp(self) -> Node:
        left = self.atom()
        tok = self.peek()
        if tok is not None and (tok.kind == "op" or tok.text == "contains"):
            self.take()
            return ("cmp", tok.text, left, self.atom())
        return left

    def atom(self) -> Node:
        tok = self.take()
        if tok.kind == "num":
            return ("lit", tok.value)
        if tok.text == "-":
            num_tok = self.take()
            if num_tok.kind != "num":
                raise ConditionError(f"expected a number after '-' at column {tok.pos + 1}")
            return ("lit", -num_tok.value)
        if tok.kind == "str":
            return ("lit", tok.value)
        if tok.text in ("true", "false"):
            return ("lit", tok.text == "true")
        if tok.text == "(":
            self._enter(tok)
            node = self.or_()
            self.expect(")")
            self.depth -= 1
            return node
        if tok.kind == "name":
            if tok.text in _FUNCS and (nxt := self.peek()) is not None and nxt.text == "(":
                self.take()
                self._enter(tok)
                arg = self.or_()
                self.expect(")")
                self.depth -= 1
                return ("call", tok.text, arg)
            if "-" in tok.text:
                raise ConditionError(f"bad field name {tok.text!r} at column {tok.pos + 1}")
            segs: list[str | int] = [tok.text]
            while (nxt := self.peek()) is not None and nxt.text in (".", "["):
                self.take()
                if nxt.text == ".":
                    seg: Tok = self.take()
                    if seg.kind not in ("name", "kw", "num"):
                        raise ConditionError(f"expected a field name at column {seg.pos + 1}")
                    segs.append(seg.text)
                else:
                    idx: Tok = self.take()
                    if idx.kind != "num" or not float(idx.value).is_integer():
                        raise ConditionError(f"expected an index at column {idx.pos + 1}")
                    segs.append(int(idx.value))
                    self.expect("]")
            return ("path", tuple(segs))
        raise ConditionError(f"unexpected {tok.text!r} at column {tok.pos + 1}")


def _require_boolean(node: Node) -> None:
    """A literal number, string or len/abs result can never be true or false: refuse it now,
    so `expect = "200"` is a plan error instead of an error on every run."""
    if node[0] in ("and", "or"):
        _require_boolean(node[1])
        _require_boolean(node[2])
    elif node[0] == "not":
        _require_boolean(node[1])
    elif node[0] == "call" or (node[0] == "lit" and not isinstance(node[1], bool)):
        raise ConditionError(
            "not a true/false test: compare a field, e.g. 'status == 200' or '< 0.001'"
        )


def _roots(node: Node) -> Iterable[str]:
    kind = node[0]
    if kind == "path":
        yield str(node[1][0])
    elif kind == "call":
        yield from _roots(node[2])
    elif kind == "not":
        yield from _roots(node[1])
    elif kind in ("and", "or"):
        yield from _roots(node[1])
        yield from _roots(node[2])
    elif kind == "cmp":
        yield from _roots(node[2])
        yield from _roots(node[3])


@record(frozen=True)
class Condition:
    """A parsed condition; `text` is what the plan said."""

    text: str
    ast: Node

    @classmethod
    def parse(cls, text: str, fields: Iterable[str] | Mapping[str, str] | None = None) -> Condition:
        """Parse; when `fields` is given, every name the condition reads must be one of them.

        When `fields` maps names to kinds (number, text, bool, list, map, any), the condition
        is also type-checked: `value contains 1` on a number is refused here, not at run time.
        """
        if not isinstance(text, str):
            raise ConditionError(f"expected a condition string, got {type(text).__name__}")
        ast = _Parser(text).parse()
        if fields is not None:
            allowed = set(fields)
            for root in _roots(ast):
                if root not in allowed:
                    known = ", ".join(sorted(allowed))
                    raise ConditionError(f"unknown field {root!r} (known: {known})")
            if isinstance(fields, Mapping):
                kind = _infer(ast, fields)
                if kind not in ("bool", "any"):
                    raise ConditionError(f"is {_A[kind]}, not true or false")
        return cls(text, ast)

    @property
    def names(self) -> set[str]:
        return set(_roots(self.ast))

    def evaluate(self, values: Mapping[str, Any]) -> bool:
        result = _eval(self.ast, values)
        if not isinstance(result, bool):
            raise EvalError(f"condition {self.text!r} is not true or false (got {result!r})")
        return result

    def __str__(self) -> str:
        return self.text


_A = {
    "number": "a number",
    "text": "text",
    "bool": "true/false",
    "list": "a list",
    "map": "a table",
    "any": "anything",
}


def _infer(node: Node, types: Mapping[str, str]) -> str:
    """The kind of value a node produces, refusing operations its operands cannot take."""
    kind = node[0]
    if kind == "lit":
        v = node[1]
        return "bool" if isinstance(v, bool) else "text" if isinstance(v, str) else "number"
    if kind == "path":
        segs = node[1]
        root = types.get(str(segs[0]), "any")
        if len(segs) > 1:
            if root in ("map", "list", "any"):
                return "any"
            raise ConditionError(f"{segs[0]} is {_A[root]}: it has no field {segs[1]!r}")
        return root
    if kind in ("and", "or", "not"):
        for sub in node[1:]:
            sub_kind = _infer(sub, types)
            if sub_kind not in ("bool", "any"):
                raise ConditionError(f"'{kind}' needs true or false, got {_A[sub_kind]}")
        return "bool"
    if kind == "call":
        arg = _infer(node[2], types)
        if node[1] == "len" and arg in ("number", "bool"):
            raise ConditionError(f"len() cannot take {_A[arg]}")
        if node[1] == "abs" and arg not in ("number", "any"):
            raise ConditionError(f"abs() needs a number, got {_A[arg]}")
        return "number"
    op, left, right = node[1], _infer(node[2], types), _infer(node[3], types)
    if op == "contains":
        if left in ("number", "bool"):
            raise ConditionError(f"'contains' needs text or a list on the left, got {_A[left]}")
    elif op not in ("==", "!="):
        for side in (left, right):
            if side in ("bool", "list", "map"):
                raise ConditionError(f"cannot order {_A[side]} with {op}")
    return "bool"


def _lookup(values: Mapping[str, Any], segs: tuple[str | int, ...]) -> Any:
    cur: Any = values
    walked: list[str] = []
    for seg in segs:
        walked.append(str(seg))
        if isinstance(cur, Mapping):
            if seg in cur:
                cur = cur[seg]
                continue
            # header names and similar are case-insensitive in practice
            lowered = {str(k).lower(): v for k, v in cur.items()}
            if isinstance(seg, str) and seg.lower() in lowered:
                cur = lowered[seg.lower()]
                continue
        elif isinstance(cur, list | tuple) and isinstance(seg, int) and -len(cur) <= seg < len(cur):
            cur = cur[seg]
            continue
        raise MissingValue(f"{'.'.join(walked)} is missing")
    return cur


def _num(v: Any) -> Any:
    # numeric strings from JSON bodies or headers compare as numbers
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return v
    return v


def _eval(node: Node, values: Mapping[str, Any]) -> Any:
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "path":
        return _lookup(values, node[1])
    if kind == "not":
        return not _truth(_eval(node[1], values))
    if kind == "and":
        return _truth(_eval(node[1], values)) and _truth(_eval(node[2], values))
    if kind == "or":
        return _truth(_eval(node[1], values)) or _truth(_eval(node[2], values))
    if kind == "call":
        arg = _eval(node[2], values)
        try:
            return len(arg) if node[1] == "len" else abs(arg)
        except TypeError:
            raise EvalError(f"{node[1]}() cannot take {type(arg).__name__}") from None
    if kind == "cmp":
        return _compare(node[1], _eval(node[2], values), _eval(node[3], values))
    raise EvalError(f"bad node {kind}")  # pragma: no cover - parser makes no other nodes


def _truth(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    raise EvalError(f"expected true or false, got {v!r}")


def _show(v: float) -> str:
    return "NaN" if math.isnan(v) else ("+Inf" if v > 0 else "-Inf")


def _compare(op: str, left: Any, right: Any) -> bool:
    if op == "contains":
        if isinstance(left, str | list | tuple | dict):
            return bool(right in left)
        raise EvalError(f"'contains' needs text or a list on the left, got {left!r}")
    if isinstance(left, bool) or isinstance(right, bool):
        if op in ("==", "!="):
            return bool(left == right) == (op == "==")
        raise EvalError(f"cannot order true/false with {op}")
    if isinstance(left, int | float) or isinstance(right, int | float):
        left, right = _num(left), _num(right)
    # NaN and ±Inf are not data: no comparison with them is true or false (see README)
    for side in (left, right):
        if isinstance(side, float) and not math.isfinite(side):
            raise NotANumber(f"value is {_show(side)}: not a number")
    if op == "==":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    try:
        if op == "<":
            return bool(left < right)
        if op == "<=":
            return bool(left <= right)
        if op == ">":
            return bool(left > right)
        return bool(left >= right)
    except TypeError:
        raise EvalError(f"cannot compare {left!r} {op} {right!r}") from None
