"""Parse the PromQL subset launch plans use: a tiny AST, never eval.

    expr     := or;  or := and ("or" and)*;  and := cmp (("and"|"unless") cmp)*
    cmp      := add [(== != > < >= <=) add];  add := mul ((+|-) mul)*;  mul := unary ((*|/) unary)*
    unary    := "-" unary | primary
    primary  := number | "(" expr ")" | agg | func "(" args ")" | selector
    agg      := (sum|avg|min|max|count) [by|without (labels)] "(" expr ")" [by|without (labels)]
    selector := name ["{" label (= != =~ !~) "string", ... "}"] ["[" duration "]"]

Anything else (offset, subqueries, bool, topk...) is a QueryError, reported to the user as
a bad query rather than silently answered wrong.
"""

from __future__ import annotations

import re
from functools import lru_cache

from tminus.core.records import record

AGGREGATIONS = frozenset({"sum", "avg", "min", "max", "count"})
FUNCTIONS = frozenset(
    {
        "rate",
        "irate",
        "increase",
        "avg_over_time",
        "min_over_time",
        "max_over_time",
        "histogram_quantile",
        "vector",
        "scalar",
        "abs",
        "time",
    }
)
COMPARISONS = frozenset({"==", "!=", ">", "<", ">=", "<="})
_LEVELS: tuple[frozenset[str], ...] = (
    frozenset({"or"}),
    frozenset({"and", "unless"}),
    COMPARISONS,
    frozenset({"+", "-"}),
    frozenset({"*", "/"}),
)
_TOKEN = re.compile(
    r"""\s*(?:
      (?P<range>\[[^\]]*\])
    | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<num>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)
    | (?P<ident>[A-Za-z_:][A-Za-z0-9_:]*)
    | (?P<op>=~|!~|==|!=|>=|<=|[-+*/(){},<>=])
    )""",
    re.VERBOSE,
)
_DURATION_PART = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")
_UNIT = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


class QueryError(Exception):
    """Malformed, or outside the subset the demo world evaluates."""


@record(frozen=True)
class Num:
    value: float


@record(frozen=True)
class Matcher:
    label: str
    op: str  # = != =~ !~
    value: str

    def accepts(self, actual: str) -> bool:
        if self.op in ("=~", "!~"):
            return (re.fullmatch(self.value, actual) is not None) == (self.op == "=~")
        return (actual == self.value) == (self.op == "=")


@record(frozen=True)
class Selector:
    name: str
    matchers: tuple[Matcher, ...] = ()
    window: float | None = None  # seconds, for a range selector


@record(frozen=True)
class Aggregate:
    op: str
    arg: Node
    grouping: tuple[str, ...] | None = None  # None: aggregate everything into one series
    without: bool = False


@record(frozen=True)
class Call:
    func: str
    args: tuple[Node, ...]


@record(frozen=True)
class Binary:
    op: str
    left: Node
    right: Node


Node = Num | Selector | Aggregate | Call | Binary


@record(frozen=True)
class _Tok:
    kind: str
    text: str


@lru_cache(maxsize=256)
def parse(text: str) -> Node:
    return _Parser(text).parse()


def _tokenize(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    pos, text = 0, text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.lastgroup is None:
            raise QueryError(f"unexpected character {text[pos:].lstrip()[:1]!r} at {pos}")
        toks.append(_Tok(m.lastgroup, m.group(m.lastgroup)))
        pos = m.end()
    return toks


def _duration(text: str) -> float:
    body = text[1:-1].strip()
    if ":" in body:
        raise QueryError("subqueries are not supported")
    parts = list(_DURATION_PART.finditer(body))
    if not parts or "".join(p.group(0) for p in parts) != body:
        raise QueryError(f"bad range {text}")
    return float(sum(int(p.group(1)) * _UNIT[p.group(2)] for p in parts))


def _unquote(token: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m[1], m[1]), token[1:-1])


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokenize(text)
        self.i = 0

    def parse(self) -> Node:
        if not self.toks:
            raise QueryError("empty query")
        node = self._binary(0)
        if self.i < len(self.toks):
            raise QueryError(f"unexpected {self.toks[self.i].text!r}")
        return node

    def _peek(self, offset: int = 0) -> _Tok | None:
        j = self.i + offset
        return self.toks[j] if j < len(self.toks) else None

    def _take(self, text: str | None = None, kind: str | None = None) -> _Tok:
        tok = self._peek()
        if tok is None:
            raise QueryError(f"query ends early, expected {text or kind}")
        if (text is not None and tok.text != text) or (kind is not None and tok.kind != kind):
            raise QueryError(f"expected {text or kind}, got {tok.text!r}")
        self.i += 1
        return tok

    def _binary(self, level: int) -> Node:
        if level == len(_LEVELS):
            return self._unary()
        left = self._binary(level + 1)
        while (tok := self._peek()) is not None and tok.text in _LEVELS[level]:
            self.i += 1
            if (nxt := self._peek()) is not None and nxt.text in ("bool", "on", "ignoring"):
                raise QueryError(f"the {nxt.text!r} modifier is not supported")
            left = Binary(tok.text, left, self._binary(level + 1))
        return left

    def _unary(self) -> Node:
        tok = self._peek()
        if tok is not None and tok.text in ("-", "+"):
            self.i += 1
            operand = self._unary()
            return operand if tok.text == "+" else Binary("*", Num(-1.0), operand)
        return self._primary()

    def _primary(self) -> Node:
        tok = self._take()
        if tok.kind == "num":
            return Num(float(tok.text))
        if tok.text == "(":
            node = self._binary(0)
            self._take(")")
            return node
        if tok.kind != "ident":
            raise QueryError(f"unexpected {tok.text!r}")
        nxt = self._peek()
        if tok.text in AGGREGATIONS and nxt is not None and nxt.text in ("(", "by", "without"):
            return self._aggregate(tok.text)
        if nxt is not None and nxt.text == "(":
            if tok.text not in FUNCTIONS:
                raise QueryError(f"the demo world does not implement {tok.text}()")
            return Call(tok.text, self._args())
        if tok.text in ("offset", "by", "without", "bool"):
            raise QueryError(f"unexpected {tok.text!r}")
        return self._selector(tok.text)

    def _aggregate(self, op: str) -> Aggregate:
        grouping, without = self._grouping()
        self._take("(")
        arg = self._binary(0)
        self._take(")")
        if grouping is None:
            grouping, without = self._grouping()
        return Aggregate(op, arg, grouping, without)

    def _grouping(self) -> tuple[tuple[str, ...] | None, bool]:
        tok = self._peek()
        if tok is None or tok.text not in ("by", "without"):
            return None, False
        self.i += 1
        self._take("(")
        names: list[str] = []
        while (nxt := self._peek()) is not None and nxt.text != ")":
            names.append(self._take(kind="ident").text)
            if (sep := self._peek()) is not None and sep.text == ",":
                self.i += 1
        self._take(")")
        return tuple(names), tok.text == "without"

    def _args(self) -> tuple[Node, ...]:
        self._take("(")
        args: list[Node] = []
        while (tok := self._peek()) is not None and tok.text != ")":
            args.append(self._binary(0))
            if (sep := self._peek()) is not None and sep.text == ",":
                self.i += 1
        self._take(")")
        return tuple(args)

    def _selector(self, name: str) -> Selector:
        matchers: list[Matcher] = []
        if (tok := self._peek()) is not None and tok.text == "{":
            self.i += 1
            while (nxt := self._peek()) is not None and nxt.text != "}":
                label = self._take(kind="ident").text
                op = self._take(kind="op").text
                if op not in ("=", "!=", "=~", "!~"):
                    raise QueryError(f"bad label matcher operator {op!r}")
                value = _unquote(self._take(kind="str").text)
                if op in ("=~", "!~"):
                    try:
                        re.compile(value)
                    except re.error as exc:
                        raise QueryError(f"bad regex {value!r}: {exc}") from None
                matchers.append(Matcher(label, op, value))
                if (sep := self._peek()) is not None and sep.text == ",":
                    self.i += 1
            self._take("}")
        window = None
        if (tok := self._peek()) is not None and tok.kind == "range":
            self.i += 1
            window = _duration(tok.text)
        if (tok := self._peek()) is not None and tok.text == "offset":
            raise QueryError("offset is not supported")
        return Selector(name, tuple(matchers), window)
