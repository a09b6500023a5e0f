"""The Prometheus series the demo world exposes, built from the world's signals.

Counters are given as per-second rates (increase() integrates them over the window),
gauges as values, histograms as a quantile function: enough for rate(), increase(),
*_over_time() and histogram_quantile() without storing a single sample.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable

from tminus.backends.demo.topology import (
    APEX,
    CDN_POPS,
    PRIMARY_REGION,
    REGIONS,
    TRAFFIC_SHARE,
    WEB_DEPLOYMENTS,
    node_names,
    pod_names,
)
from tminus.backends.demo.world import DemoWorld
from tminus.core.records import record

Labels = tuple[tuple[str, str], ...]  # sorted (name, value) pairs
Sample = tuple[Labels, float]


_LABELS: dict[Labels, Labels] = {}  # one shared tuple per label set: cached samples share it


def labels(**kv: str) -> Labels:
    key = tuple(sorted(kv.items()))
    return _LABELS.setdefault(key, key)


MEMO_SIZE = 512  # times kept per series: a range query's window, not the whole session


def memo(world: DemoWorld, fn: Callable[[float], list[Sample]]) -> Callable[[float], list[Sample]]:
    """Cache a series by (world state version, time): range queries re-read the same times.

    Least recently used first out, with a small bound: at 50,000 entries a series held
    ~100 MB, and the demo grew for hours before the cache was ever cleared."""
    cache: OrderedDict[tuple[int, float], list[Sample]] = OrderedDict()

    def cached(t: float) -> list[Sample]:
        key = (world.version, t)
        hit = cache.get(key)
        if hit is None:
            hit = cache[key] = fn(t)
            if len(cache) > MEMO_SIZE:
                cache.popitem(last=False)
        else:
            cache.move_to_end(key)
        return hit

    return cached


@record(frozen=True)
class Counter:
    rates: Callable[[float], list[Sample]]  # per-second rate of each series at time t


@record(frozen=True)
class Gauge:
    values: Callable[[float], list[Sample]]


@record(frozen=True)
class Histogram:
    labels: Labels
    p95: Callable[[float], float]  # seconds
    rate: Callable[[float], float]  # observations per second

    def quantile(self, t: float, q: float) -> float:
        """Latencies modelled as exponential: q-quantile scales with -ln(1 - q)."""
        if q < 0:
            return -math.inf
        if q > 1:
            return math.inf
        q = min(q, 0.999)  # q = 1 is the largest finite bucket
        return self.p95(t) * math.log(1 / (1 - q)) / math.log(20)


Series = Counter | Gauge | Histogram
HIGH_ERROR_RATIO = 0.05  # the HighErrorRate alert rule, as the trigger in the plan


def catalog(world: DemoWorld) -> dict[str, Series]:
    w = world
    seed = w.seed
    nodes = [(r, n) for r in REGIONS for n in node_names(r)]
    pods = [
        (r, d, p)
        for r in REGIONS
        for d, replicas in WEB_DEPLOYMENTS.items()
        for p in pod_names(seed, r, d, replicas)
    ]
    replicas = [r for r in REGIONS if r != PRIMARY_REGION]

    def http_requests(t: float) -> list[Sample]:
        total, err = w.request_rate(t), w.error_ratio(t)
        split = {"200": 1 - err - 0.008, "404": 0.008, "500": err * 0.7, "503": err * 0.3}
        return [
            (labels(code=code, region=r, job="musicconnect"), total * share * part)
            for r, share in TRAFFIC_SHARE.items()
            for code, part in split.items()
        ]

    def payments(t: float) -> list[Sample]:
        rate, ok = w.payments_rate(t), w.payment_success(t)
        split = {"success": ok, "declined": (1 - ok) * 0.8, "error": (1 - ok) * 0.2}
        return [(labels(result=k, job="payments"), rate * v) for k, v in split.items()]

    def one(name: str, fn: Callable[[float], float], job: str = "musicconnect") -> Counter:
        return Counter(memo(w, lambda t: [(labels(job=job), fn(t))]))

    def gauge(fn: Callable[[float], list[Sample]]) -> Gauge:
        # a window's cells sit on a fixed grid: the next poll reads the same times again
        return Gauge(memo(w, fn))

    def alerts(t: float) -> list[Sample]:
        firing = [labels(alertname="Watchdog", alertstate="firing", severity="none")]
        if w.mean(w.error_ratio, t - 60, t) > HIGH_ERROR_RATIO:
            firing.append(
                labels(alertname="HighErrorRate", alertstate="firing", severity="critical")
            )
        if w.mean(w.payment_success, t - 300, t) < 0.9:
            firing.append(
                labels(alertname="PaymentFailures", alertstate="firing", severity="critical")
            )
        if w.maintenance_at(t):
            firing.append(labels(alertname="SiteDown", alertstate="firing", severity="critical"))
        return [(lab, 1.0) for lab in firing]

    return {
        "http_requests_total": Counter(memo(w, http_requests)),
        "payments_total": Counter(memo(w, payments)),
        "registrations_total": one("registrations", w.registration_rate),
        "uploads_total": one("uploads", w.upload_rate),
        "subscriptions_total": one("subscriptions", w.subscription_rate),
        "http_request_duration_seconds": Histogram(
            labels(job="musicconnect"), w.latency_p95, w.request_rate
        ),
        "loadtest_request_duration_seconds": Histogram(
            labels(job="loadtest"),
            lambda t: 0.32 * (1 + 0.03 * w.noise("loadtest", t, 600.0)),
            lambda t: 200.0,
        ),
        "db_query_duration_seconds": Histogram(
            labels(job="postgres"),
            lambda t: 0.04 * (1 + 0.1 * w.noise("db-latency", t)),
            lambda t: 3000.0 * w.request_rate(t) / 1200,
        ),
        "probe_success": gauge(
            lambda t: [
                (labels(job="blackbox", region=r, instance=f"https://{APEX}/"), w.probe_success(t))
                for r in REGIONS
            ]
        ),
        "cdn_cache_hit_ratio": gauge(
            lambda t: [(labels(pop=p), w.cdn_hit_ratio(t, p)) for p in CDN_POPS]
        ),
        "cache_warm_ratio": gauge(
            lambda t: [
                (labels(cache=f"redis-{r}", region=r), w.cache_warm_ratio(t, r)) for r in REGIONS
            ]
        ),
        "node_cpu_utilisation": gauge(
            lambda t: [(labels(node=n, region=r), w.node_cpu(t, n)) for r, n in nodes]
        ),
        "container_memory_utilisation": gauge(
            lambda t: [
                (labels(namespace="web", pod=p, container=d, region=r), w.container_memory(t, p))
                for r, d, p in pods
            ]
        ),
        "pg_replication_is_replica": gauge(
            lambda t: [
                (
                    labels(instance=f"postgres-0.{r}", region=r, role=_role(r)),
                    0.0 if r == PRIMARY_REGION else 1.0,
                )
                for r in REGIONS
            ]
        ),
        "pg_replication_lag_seconds": gauge(
            lambda t: [
                (labels(instance=f"postgres-0.{r}", region=r, role="replica"), w.replica_lag(t, r))
                for r in replicas
            ]
        ),
        "up": gauge(
            lambda t: (
                [(labels(job="musicconnect", instance=f"api.{r}"), 1.0) for r in REGIONS]
                + [(labels(job="node", instance=n), 1.0) for _, n in nodes]
            )
        ),
        "ALERTS": Gauge(memo(w, alerts)),
    }


def _role(region: str) -> str:
    return "primary" if region == PRIMARY_REGION else "replica"
