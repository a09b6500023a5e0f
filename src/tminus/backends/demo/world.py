"""The demo world: one coherent simulated MusicConnect behind every demo backend.

Signals are pure functions of (seed, scenario, world time, recorded state changes), so the
same seed and clock give the same numbers however often they are read, and history before
"now" is recomputed from the same functions (no stored samples). State changes carry their
world time so a metric over a window sees exactly when the weight or maintenance changed.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from tminus.backends.base import BackendError
from tminus.backends.demo import noise
from tminus.backends.demo.topology import SCENARIOS
from tminus.core.clock import Clock

EFFECTS = ("maintenance-on", "maintenance-off", "restore-database", "clear-caches")
CERT_LIFETIME_LEFT = timedelta(days=75)  # comfortably above the plan's 30-day threshold
FLAKY_DNS_WINDOW = 20.0  # seconds of world time per DNS flap
V = TypeVar("V")


class DemoWorld:
    def __init__(
        self, scenario: str = "healthy", seed: int = 1, *, clock: Clock, t0: datetime
    ) -> None:
        if scenario not in SCENARIOS:
            raise ValueError(f"unknown demo scenario {scenario!r} (known: {', '.join(SCENARIOS)})")
        self.scenario = scenario
        self.seed = seed
        self.clock = clock
        self.t0 = t0
        self.cert_not_after = t0 + CERT_LIFETIME_LEFT
        # (world unix time, new value), appended in time order
        self._weights: list[tuple[float, int]] = []
        self._maintenance: list[tuple[float, bool]] = []
        self._cache_clears: list[float] = []
        self._restores: list[float] = []
        self._failures: dict[str, int] = {}
        self.attempts: dict[str, int] = {}  # effect -> times asked, failed or not
        self._weight_log: list[tuple[datetime, int]] = []
        self.effects: list[tuple[datetime, str]] = []
        self.version = 0  # bumped on every state change: caches of derived values key on it

    # ------------------------------------------------------------ time and noise
    def now(self) -> datetime:
        return self.clock.now()

    def time(self) -> float:
        return self.clock.now().timestamp()

    def noise(self, name: str, t: float, step: float = 15.0) -> float:
        return noise.smooth(self.seed, name, t, step)

    def breakpoints(self, start: float, end: float) -> list[float]:
        """World times in (start, end) where state changed: window averages split there."""
        times = [t for t, _ in self._weights] + [t for t, _ in self._maintenance]
        times += self._cache_clears + self._restores
        return sorted(t for t in times if start < t < end)

    def mean(self, fn: Callable[[float], float], start: float, end: float) -> float:
        return noise.window_mean(fn, start, end, self.breakpoints(start, end))

    # ------------------------------------------------------------ canary weight
    @property
    def weight(self) -> int:
        return self._weights[-1][1] if self._weights else 0

    @property
    def history(self) -> tuple[tuple[datetime, int], ...]:
        """Every change of the canary weight, with the world time it happened."""
        return tuple(self._weight_log)

    def set_weight(self, pct: int) -> None:
        if not 0 <= pct <= 100:
            raise ValueError(f"canary weight must be 0..100, got {pct}")
        if pct != self.weight:
            self._weight_log.append((self.now(), int(pct)))
            self._record(self._weights, int(pct))

    def weight_at(self, t: float) -> int:
        return _value_at(self._weights, t, 0)

    # ------------------------------------------------------------ rollback effects
    @property
    def maintenance(self) -> bool:
        return self.maintenance_at(self.time())

    def maintenance_at(self, t: float) -> bool:
        return _value_at(self._maintenance, t, False)

    def fail_next(self, effect: str, times: int = 1) -> None:
        """Make the next `times` calls of `effect` fail, to show retry in the rollback."""
        self._check_effect(effect)
        self._failures[effect] = self._failures.get(effect, 0) + times

    def perform(self, effect: str) -> str:
        self._check_effect(effect)
        self.attempts[effect] = self.attempts.get(effect, 0) + 1
        left = self._failures.get(effect, 0)
        if left:
            self._failures[effect] = left - 1
            raise BackendError(
                "unreachable", f"demo world: {effect} did not answer (simulated failure)"
            )
        now = self.time()
        self.effects.append((self.now(), effect))
        if effect in ("maintenance-on", "maintenance-off"):
            on = effect == "maintenance-on"
            if on != self.maintenance:
                self._record(self._maintenance, on)
            return (
                "maintenance mode on: musicconnect.example answers 503"
                if on
                else "maintenance mode off: musicconnect.example serves traffic"
            )
        if effect == "restore-database":
            self._restores.append(now)
            self.version += 1
            return "database restored from the last snapshot; replicas are resyncing"
        self._cache_clears.append(now)
        self.version += 1
        return "redis caches flushed and CDN purged; caches are warming"

    def _check_effect(self, effect: str) -> None:
        if effect not in EFFECTS:
            raise BackendError(
                "not_found",
                f"demo world: no effect {effect!r} (known: {', '.join(EFFECTS)})",
            )

    def _record(self, changes: list[tuple[float, V]], value: V) -> None:
        self.version += 1
        now = self.time()
        if changes and changes[-1][0] >= now:  # same instant (a frozen clock): the last wins
            changes[-1] = (changes[-1][0], value)
        else:
            changes.append((now, value))

    def _since(self, events: list[float], t: float) -> float | None:
        i = bisect.bisect_right(events, t)
        return t - events[i - 1] if i else None

    def _recovery(self, events: list[float], t: float, tau: float) -> float:
        """1 right after the last event before t, decaying to 0 with time constant tau."""
        since = self._since(events, t)
        return math.exp(-since / tau) if since is not None else 0.0

    def since_cache_clear(self, t: float) -> float | None:
        return self._since(self._cache_clears, t)

    # ------------------------------------------------------------ signals at world time t
    @property
    def bad(self) -> bool:
        return self.scenario == "bad-release"

    def request_rate(self, t: float) -> float:
        return 1200.0 * noise.daily(t) * (1 + 0.04 * self.noise("rps", t))

    def error_ratio(self, t: float) -> float:
        ratio = 0.0003 * (1 + 0.3 * self.noise("errors", t))
        if self.bad:  # the new version fails a share of what the canary serves
            ratio += self.weight_at(t) / 100 * 0.12 * (1 + 0.08 * self.noise("canary-errors", t))
        return ratio

    def latency_p95(self, t: float) -> float:
        seconds = 0.18 * (1 + 0.08 * self.noise("latency", t))
        if self.bad:
            seconds += self.weight_at(t) / 100 * 1.4 * (1 + 0.05 * self.noise("canary-lat", t))
        return seconds

    def payments_rate(self, t: float) -> float:
        return 2.5 * noise.daily(t) * (1 + 0.1 * self.noise("payments", t))

    def payment_success(self, t: float) -> float:
        ratio = 0.985 + 0.004 * self.noise("payment-success", t)
        if self.bad:
            ratio -= self.weight_at(t) / 100 * 0.2
        return ratio

    def registration_rate(self, t: float) -> float:
        return 0.05 * noise.daily(t) * (1 + 0.2 * self.noise("registrations", t))

    def upload_rate(self, t: float) -> float:
        return 0.012 * noise.daily(t) * (1 + 0.25 * self.noise("uploads", t))

    def subscription_rate(self, t: float) -> float:
        return self.registration_rate(t) * 0.04 * (1 + 0.1 * self.noise("subscriptions", t))

    def probe_success(self, t: float) -> float:
        return 0.0 if self.maintenance_at(t) else 1.0

    def cdn_hit_ratio(self, t: float, pop: str) -> float:
        purge = self._recovery(self._cache_clears, t, 300.0)
        return 0.9 + 0.02 * self.noise(f"cdn:{pop}", t) - 0.6 * purge

    def cache_warm_ratio(self, t: float, cache: str) -> float:
        cold = self._recovery(self._cache_clears, t, 240.0)
        return min(1.0, 0.988 + 0.008 * self.noise(f"warm:{cache}", t)) - 0.9 * cold

    def node_cpu(self, t: float, node: str) -> float:
        busy = 0.36 + 0.4 * (noise.daily(t) - 1) + 0.06 * self.noise(f"cpu:{node}", t, 30.0)
        if self.bad:  # crash-looping canary pods and retries cost CPU
            busy += self.weight_at(t) / 100 * 0.15
        return busy

    def container_memory(self, t: float, pod: str) -> float:
        return 0.48 + 0.08 * self.noise(f"mem:{pod}", t, 60.0)

    def replica_lag(self, t: float, replica: str) -> float:
        resync = self._recovery(self._restores, t, 120.0)
        return 0.9 + 0.3 * self.noise(f"lag:{replica}", t) + 25.0 * resync

    def stale_dns(self, t: float) -> bool:
        """flaky-dns: every other 20 s window a stale resolver answers for the apex."""
        return self.scenario == "flaky-dns" and (int(t // FLAKY_DNS_WINDOW) + self.seed) % 2 == 1


def _value_at(changes: list[tuple[float, V]], t: float, initial: V) -> V:
    i = bisect.bisect_right([c[0] for c in changes], t)
    return changes[i - 1][1] if i else initial
