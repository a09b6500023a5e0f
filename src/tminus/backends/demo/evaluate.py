"""Evaluate a parsed query (promql.py) against the world's series (series.py) at world time t.

Range functions average over sample points split at the world's state changes, so a
window sees a weight change or a maintenance period exactly when it happened. As in
Prometheus, a metric name the world does not have is an empty result, not an error.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable

from tminus.backends.demo import noise
from tminus.backends.demo.promql import (
    COMPARISONS,
    Aggregate,
    Binary,
    Call,
    Node,
    Num,
    QueryError,
    Selector,
)
from tminus.backends.demo.series import Counter, Gauge, Histogram, Labels, Sample, catalog
from tminus.backends.demo.world import DemoWorld
from tminus.core.records import record

Vector = list[Sample]


@record(frozen=True)
class _Range:
    selector: Selector
    window: float


@record(frozen=True)
class _Buckets:
    """rate(x_bucket[w]): kept whole until histogram_quantile reads it."""

    hist: Histogram
    window: float
    labels: Labels


_Value = float | Vector | _Range | _Buckets
_ARITH: dict[str, Callable[[float, float], float]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
}
_CMP: dict[str, Callable[[float, float], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    "<": operator.lt,
    ">=": operator.ge,
    "<=": operator.le,
}


class Evaluator:
    def __init__(self, world: DemoWorld) -> None:
        self.world = world
        self.series = catalog(world)

    def instant(self, node: Node, t: float) -> float | Vector:
        value = self._eval(node, t)
        if isinstance(value, _Range | _Buckets):
            raise QueryError("the query returns a range vector; wrap it in a function")
        return value

    # ------------------------------------------------------------ nodes
    def _eval(self, node: Node, t: float) -> _Value:
        if isinstance(node, Num):
            return node.value
        if isinstance(node, Selector):
            return self._selector(node, t)
        if isinstance(node, Aggregate):
            return self._aggregate(node, t)
        if isinstance(node, Call):
            return self._call(node, t)
        return self._binary(node, t)

    def _selector(self, sel: Selector, t: float) -> _Value:
        if sel.window is not None:
            return _Range(sel, sel.window)
        series = self.series.get(sel.name)
        if isinstance(series, Gauge):
            return _match(series.values(t), sel)
        if isinstance(series, Counter):
            raise QueryError(f"{sel.name} is a counter: read it with rate() or increase()")
        if sel.name.removesuffix("_bucket") in self.series:
            raise QueryError(f"{sel.name}: use histogram_quantile(q, sum by (le) (rate(...)))")
        return []  # unknown metric name: no data, as Prometheus answers

    def _aggregate(self, agg: Aggregate, t: float) -> _Value:
        arg = self._eval(agg.arg, t)
        if isinstance(arg, _Buckets):
            by = agg.grouping or ()
            if agg.op == "sum" and "le" in by and not agg.without:
                kept = tuple(kv for kv in arg.labels if kv[0] in by)
                return _Buckets(arg.hist, arg.window, kept)
            raise QueryError("aggregate histogram buckets with sum by (le)")
        vec = _vector(arg, agg.op)
        groups: dict[Labels, list[float]] = {}
        for labels, value in vec:
            groups.setdefault(_group_key(labels, agg), []).append(value)
        reduce: dict[str, Callable[[list[float]], float]] = {
            "sum": math.fsum,
            "avg": lambda vs: math.fsum(vs) / len(vs),
            "min": min,
            "max": max,
            "count": lambda vs: float(len(vs)),
        }
        return [(key, reduce[agg.op](vals)) for key, vals in sorted(groups.items())]

    def _call(self, call: Call, t: float) -> _Value:
        f, args = call.func, [self._eval(a, t) for a in call.args]
        arity = {"time": 0, "histogram_quantile": 2}.get(f, 1)
        if len(args) != arity:
            raise QueryError(f"{f}() takes {arity} argument(s), got {len(args)}")
        if f == "time":
            return t
        if f in ("rate", "irate", "increase"):
            return self._rate(_range(args[0], f), t, per_window=f == "increase")
        if f.endswith("_over_time"):
            return self._over_time(_range(args[0], f), t, f.removesuffix("_over_time"))
        if f == "histogram_quantile":
            return self._quantile(args[0], args[1], t)
        if f == "vector":
            return [((), _scalar(args[0], f))]
        if f == "scalar":
            vec = _vector(args[0], f)
            return vec[0][1] if len(vec) == 1 else math.nan
        return [(labels, abs(v)) for labels, v in _vector(args[0], f)]  # abs

    # ------------------------------------------------------------ range functions
    def _rate(self, rng: _Range, t: float, *, per_window: bool) -> _Value:
        sel, window = rng.selector, rng.window
        series = self.series.get(sel.name)
        hist = self.series.get(sel.name.rsplit("_", 1)[0])
        if series is None and isinstance(hist, Histogram):
            return self._histogram_rate(hist, sel, window, t, per_window)
        if isinstance(series, Gauge | Histogram):
            raise QueryError(f"rate() and increase() need a counter; {sel.name} is not one")
        if series is None:
            return []
        sums = self._integrate(series.rates, sel, t - window, t)
        scale = 1.0 if per_window else 1 / window
        return [(labels, total * scale) for labels, (total, _, _, _) in sorted(sums.items())]

    def _histogram_rate(
        self, hist: Histogram, sel: Selector, window: float, t: float, per_window: bool
    ) -> _Value:
        name = sel.name.rsplit("_", 1)[1]
        if not _matches(hist.labels, sel, ignore=("le",)):
            return []
        if name == "bucket":
            return _Buckets(hist, window, hist.labels)
        if name not in ("count", "sum"):
            return []
        mean_latency = 1 / math.log(20)  # exponential: the mean is p95 / ln 20

        def rate(at: float) -> float:
            r = hist.rate(at)
            return r * hist.p95(at) * mean_latency if name == "sum" else r

        total = self.world.mean(rate, t - window, t) * window
        return [(hist.labels, total if per_window else total / window)]

    def _over_time(self, rng: _Range, t: float, stat: str) -> _Value:
        series = self.series.get(rng.selector.name)
        if series is None:
            return []
        if not isinstance(series, Gauge):
            raise QueryError(f"{stat}_over_time() needs a gauge; {rng.selector.name} is not one")
        sums = self._integrate(
            series.values, rng.selector, t - rng.window, t, extremes=stat != "avg"
        )
        pick: dict[str, Callable[[float, float, float, float], float]] = {
            "avg": lambda total, width, lo, hi: total / width,
            "min": lambda total, width, lo, hi: lo,
            "max": lambda total, width, lo, hi: hi,
        }
        return [(labels, pick[stat](*acc)) for labels, acc in sorted(sums.items())]

    def _quantile(self, q: _Value, buckets: _Value, t: float) -> _Value:
        level = _scalar(q, "histogram_quantile")
        if isinstance(buckets, list) and not buckets:
            return []
        if not isinstance(buckets, _Buckets):
            raise QueryError("histogram_quantile() needs rate(<histogram>_bucket[...])")
        h = buckets.hist
        value = self.world.mean(lambda at: h.quantile(at, level), t - buckets.window, t)
        return [(buckets.labels, value)]

    def _integrate(
        self,
        fn: Callable[[float], list[Sample]],
        sel: Selector,
        start: float,
        end: float,
        *,
        extremes: bool = False,
    ) -> dict[Labels, tuple[float, float, float, float]]:
        """Per series: (integral, time present, min, max) over [start, end]; min and max
        only with `extremes` (else the first value), which rate() and avg do not read."""
        acc: dict[Labels, list[float]] = {}
        accepted: dict[Labels, bool] = {}  # label sets repeat at every sample: match once
        points = noise.sample_points(start, end, self.world.breakpoints(start, end))
        for at, width in points:
            for labels, v in fn(at):
                a = acc.get(labels)
                if a is None:
                    ok = accepted.get(labels)
                    if ok is None:
                        ok = accepted[labels] = _matches(labels, sel)
                    if ok:
                        acc[labels] = [v * width, width, v, v]
                    continue
                a[0] += v * width
                a[1] += width
                if extremes:
                    if v < a[2]:
                        a[2] = v
                    if v > a[3]:
                        a[3] = v
        return {labels: (a[0], a[1], a[2], a[3]) for labels, a in acc.items()}

    # ------------------------------------------------------------ operators
    def _binary(self, node: Binary, t: float) -> _Value:
        left, right = self._eval(node.left, t), self._eval(node.right, t)
        op = node.op
        if op in ("or", "and", "unless"):
            lv, rv = _vector(left, op), _vector(right, op)
            right_keys = {labels for labels, _ in rv}
            if op == "or":
                left_keys = {labels for labels, _ in lv}
                return lv + [s for s in rv if s[0] not in left_keys]
            keep = op == "and"
            return [s for s in lv if (s[0] in right_keys) == keep]
        if isinstance(left, float) and isinstance(right, float):
            if op in COMPARISONS:
                raise QueryError("comparing two scalars needs the bool modifier")
            return _arith(op, left, right)
        if isinstance(left, float):
            return _apply(op, _vector(right, op), lambda v: (left, v), keep_right=True)
        if isinstance(right, float):
            return _apply(op, _vector(left, op), lambda v: (v, right), keep_right=False)
        lv, rv = _vector(left, op), _vector(right, op)
        others = dict(rv)
        out: Vector = []
        for labels, a in lv:
            if labels not in others:
                continue
            b = others[labels]
            if op in COMPARISONS:
                if _CMP[op](a, b):
                    out.append((labels, a))
            else:
                out.append((labels, _arith(op, a, b)))
        return out


def _arith(op: str, a: float, b: float) -> float:
    if op != "/":
        return _ARITH[op](a, b)
    if b == 0:
        return math.nan if a == 0 or math.isnan(a) else math.copysign(math.inf, a)
    return a / b


def _apply(
    op: str, vec: Vector, pair: Callable[[float], tuple[float, float]], *, keep_right: bool
) -> Vector:
    out: Vector = []
    for labels, v in vec:
        a, b = pair(v)
        if op in COMPARISONS:
            if _CMP[op](a, b):
                out.append((labels, b if keep_right else a))
        else:
            out.append((labels, _arith(op, a, b)))
    return out


def _group_key(labels: Labels, agg: Aggregate) -> Labels:
    if agg.grouping is None:
        return ()
    if agg.without:
        return tuple(kv for kv in labels if kv[0] not in agg.grouping)
    return tuple(kv for kv in labels if kv[0] in agg.grouping)


def _matches(labels: Labels, sel: Selector, ignore: tuple[str, ...] = ()) -> bool:
    values = dict(labels)
    values["__name__"] = sel.name
    return all(m.accepts(values.get(m.label, "")) for m in sel.matchers if m.label not in ignore)


def _match(samples: Vector, sel: Selector) -> Vector:
    return [s for s in samples if _matches(s[0], sel)]


def _range(value: _Value, func: str) -> _Range:
    if not isinstance(value, _Range):
        raise QueryError(f"{func}() needs a range selector such as metric[5m]")
    return value


def _vector(value: _Value, what: str) -> Vector:
    if not isinstance(value, list):
        raise QueryError(f"{what} needs an instant vector")
    return value


def _scalar(value: _Value, what: str) -> float:
    if not isinstance(value, float):
        raise QueryError(f"{what} needs a number")
    return value
