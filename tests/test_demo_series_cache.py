"""The demo world's series caches: every series keeps its values per (world state, time), so
a window read again by the next poll computes only its new cells. Cached answers must be
exactly what an evaluator with empty caches answers at the same time, and a change of the
world's state (canary weight, caches cleared, maintenance) must never be answered from
values computed before it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from tminus.backends.demo.evaluate import Evaluator
from tminus.backends.demo.promql import parse
from tminus.backends.demo.world import DemoWorld
from tminus.core.clock import FrozenClock
from tminus.plan.loader import default_plan

T0 = datetime(2026, 12, 4, 16, 0, tzinfo=UTC)
PLAN = default_plan()
# every query of the default plan's metrics and criteria, and the gauges read with the
# range functions that keep a window's min and max
QUERIES = list(
    dict.fromkeys(
        [m.query for m in PLAN.metrics]
        + [c.query for c in PLAN.success_criteria if c.query]
        + [
            "min(min_over_time(cdn_cache_hit_ratio[5m]))",
            "max(max_over_time(node_cpu_utilisation[10m]))",
            "avg(avg_over_time(cache_warm_ratio[15m]))",
            "max(pg_replication_lag_seconds)",
            "max(node_cpu_utilisation)",
            "sum(increase(uploads_total[15m]))",
            'count(ALERTS{alertstate="firing"})',
        ]
    )
)
Change = Callable[[DemoWorld], None]
# (seconds after T0, the state change made at that moment, before the evaluation there)
WEIGHT_CHANGE = 5.0
STEPS: list[tuple[float, Change | None]] = [
    (0.0, None),
    (4.7, None),
    (WEIGHT_CHANGE, lambda w: w.set_weight(25)),
    (9.3, None),
    (9.3, lambda w: w.perform("clear-caches")),
    (61.0, lambda w: w.perform("maintenance-on")),
    (66.2, lambda w: w.perform("maintenance-off")),
    (300.0, lambda w: w.perform("restore-database")),
    (305.5, None),
]


def evaluate_all(ev: Evaluator, t: float) -> list[object]:
    return [ev.instant(parse(q), t) for q in QUERIES]


def fresh_answers(scenario: str, upto: int) -> list[object]:
    """An evaluator with empty caches, on a world given the same changes up to step `upto`."""
    clock = FrozenClock(T0)
    world = DemoWorld(scenario, 1, clock=clock, t0=T0)
    for offset, change in STEPS[: upto + 1]:
        clock.set(T0 + timedelta(seconds=offset))
        if change is not None:
            change(world)
    return evaluate_all(Evaluator(world), (T0 + timedelta(seconds=STEPS[upto][0])).timestamp())


@pytest.mark.parametrize("scenario", ["healthy", "bad-release"])
def test_cached_answers_equal_uncached_ones_at_every_time_and_after_every_change(scenario):
    clock = FrozenClock(T0)
    world = DemoWorld(scenario, 1, clock=clock, t0=T0)
    kept = Evaluator(world)  # one evaluator, its caches kept from step to step
    before_change: list[object] | None = None
    for i, (offset, change) in enumerate(STEPS):
        clock.set(T0 + timedelta(seconds=offset))
        t = clock.now().timestamp()
        if change is not None:
            before_change = evaluate_all(kept, t)  # fills the caches at this very time
            change(world)
        answers = evaluate_all(kept, t)
        assert answers == fresh_answers(scenario, i), f"step {i} at +{offset}s"
        if change is not None and (offset != WEIGHT_CHANGE or scenario == "bad-release"):
            # the change shows at once: the values cached a moment ago are not served
            # (a canary weight changes nothing in a healthy release)
            assert answers != before_change, f"step {i}: stale answers after the change"


def test_a_window_read_again_computes_only_its_new_cells():
    clock = FrozenClock(T0)
    world = DemoWorld("healthy", 1, clock=clock, t0=T0)
    calls: list[float] = []
    rate = world.upload_rate

    def counted(t: float) -> float:
        calls.append(t)
        return rate(t)

    world.upload_rate = counted  # type: ignore[method-assign]
    ev = Evaluator(world)
    query = parse("sum(increase(uploads_total[15m]))")  # 60 cells of 15 s
    t = T0.timestamp()
    ev.instant(query, t)
    first = len(calls)
    assert first >= 60
    calls.clear()
    ev.instant(query, t + 5.0)  # the next poll, 5 s later: the same grid of cells
    assert len(calls) <= 3, f"{len(calls)} of {first} cells computed again"
