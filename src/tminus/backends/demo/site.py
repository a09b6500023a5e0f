"""What MusicConnect's hosts answer over HTTP in the demo world: the MockTransport handler.

Routing is by host and path; the edge (WAF, rate limiter, maintenance page) sits in front,
as it would in production. Unknown hosts fail like an unresolvable name does.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import httpx

from tminus.backends.demo.topology import APEX, ZONE
from tminus.backends.demo.world import DemoWorld

RATE_LIMIT = 20  # requests per second on /v1/ping before 429s
Route = Callable[[httpx.Request], httpx.Response]


class RateLimiter:
    """Sliding one-second window in real monotonic time: bursts are real, not world time."""

    def __init__(self, limit: int = RATE_LIMIT, window: float = 1.0) -> None:
        self.limit, self.window = limit, window
        self._accepted: deque[float] = deque()

    def allow(self) -> bool:
        now = time.monotonic()
        while self._accepted and now - self._accepted[0] >= self.window:
            self._accepted.popleft()
        if len(self._accepted) >= self.limit:
            return False
        self._accepted.append(now)
        return True

    @property
    def remaining(self) -> int:
        return max(0, self.limit - len(self._accepted))


class Site:
    def __init__(self, world: DemoWorld) -> None:
        self.world = world
        self.limiter = RateLimiter()
        api = f"api.{APEX}"
        self.routes: dict[tuple[str, str], Route] = {
            (APEX, "/"): self._home,
            (APEX, "/search"): lambda r: _json({"results": [], "query": r.url.params.get("q")}),
            (f"www.{APEX}", "/"): lambda r: httpx.Response(
                301, headers={"Location": f"https://{APEX}/"}
            ),
            (f"cdn.{APEX}", "/health"): self._cdn_health,
            (f"lb.{APEX}", "/health"): lambda r: _json({"status": "ok", "backends": 6}),
            (api, "/v1/ping"): self._ping,
            (api, "/v1/payments/test"): self._payment_test,
            (api, "/version"): lambda r: _json({"version": "2.0.0", "commit": "4f2a9c1"}),
            (api, "/health"): lambda r: _json({"status": "UP"}),
            (f"flags.{APEX}", "/api/flags/launch"): lambda r: _json(
                {"state": "configured", "flags": {"new-player": True, "uploads-v2": True}}
            ),
            (f"sentry.{APEX}", "/api/0/"): lambda r: _json({"version": "0"}),
            (f"analytics.{APEX}", "/health"): lambda r: _json({"status": "ok"}),
            (f"grafana.{APEX}", "/api/health"): lambda r: _json({"database": "ok"}),
            (f"logs.{APEX}", "/ready"): lambda r: httpx.Response(200, text="ready\n"),
            (f"tracing.{APEX}", "/health"): lambda r: _json({"status": "Server available"}),
            (f"search.{APEX}", "/_cluster/health"): lambda r: _json(
                {"cluster_name": "musicconnect", "status": "green", "number_of_nodes": 3}
            ),
        }

    async def handle(self, request: httpx.Request) -> httpx.Response:
        host = (request.url.host or "").lower().rstrip(".")
        if not _resolvable(host):
            raise httpx.ConnectError(
                f"[Errno -2] Name or service not known: {host}", request=request
            )
        await asyncio.sleep(self.latency(host, request.url.path))
        built = self._respond(host, request)
        # hand the body over as a stream, as a network transport does: httpx then times the
        # exchange when the client reads it, so `response.elapsed` works as with real hosts
        return httpx.Response(
            built.status_code, headers=built.headers, stream=httpx.ByteStream(built.content)
        )

    def _respond(self, host: str, request: httpx.Request) -> httpx.Response:
        if request.url.scheme == "http":  # the edge only serves HTTPS
            https = str(request.url.copy_with(scheme="https"))
            return httpx.Response(301, headers={"Location": https})
        if _is_attack(str(request.url)) or _is_attack(request.content.decode("utf-8", "replace")):
            return httpx.Response(403, headers={"X-WAF-Rule": "xss-script-tag"}, text="blocked\n")
        if host in (APEX, f"www.{APEX}") and self.world.maintenance:
            return httpx.Response(
                503,
                headers={"X-Maintenance": "on", "Retry-After": "600"},
                text="MusicConnect is down for maintenance. Back soon.\n",
            )
        route = self.routes.get((host, request.url.path))
        return route(request) if route is not None else _json({"error": "not found"}, 404)

    def latency(self, host: str, path: str) -> float:
        """A few milliseconds, varying with world time, so checks show response times."""
        jitter = self.world.noise(f"http:{host}{path}", self.world.time(), 5.0)
        return 0.004 + 0.003 * (1 + jitter)

    # ------------------------------------------------------------ routes
    def _home(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Type": "text/html"}, text=_HOME)

    def _cdn_health(self, request: httpx.Request) -> httpx.Response:
        since = self.world.since_cache_clear(self.world.time())
        cold = since is not None and since < 60  # just purged: the edge misses
        return httpx.Response(
            200,
            headers={"X-Cache": "MISS" if cold else "HIT", "Age": "0" if cold else "120"},
            text="ok\n",
        )

    def _ping(self, request: httpx.Request) -> httpx.Response:
        if not self.limiter.allow():
            return _json(
                {"error": "rate limited"},
                429,
                {
                    "Retry-After": "1",
                    "X-RateLimit-Limit": str(RATE_LIMIT),
                    "X-RateLimit-Remaining": "0",
                },
            )
        remaining = str(self.limiter.remaining)
        return _json(
            {"pong": True},
            200,
            {"X-RateLimit-Limit": str(RATE_LIMIT), "X-RateLimit-Remaining": remaining},
        )

    def _payment_test(self, request: httpx.Request) -> httpx.Response:
        if request.method != "POST":
            return _json({"error": "method not allowed"}, 405, {"Allow": "POST"})
        if not request.headers.get("Authorization"):
            return _json({"error": "missing credentials"}, 401, {"WWW-Authenticate": "Bearer"})
        return _json({"result": "approved", "amount": 100, "currency": "USD", "test": True})


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


def _is_attack(text: str) -> bool:
    """The WAF's one rule: a script tag, however percent-encoded (twice counts too)."""
    once = unquote(text)
    return any("<script" in s.lower() for s in (text, once, unquote(once)))


_HOME = """<!doctype html>
<html><head><title>MusicConnect</title></head>
<body><h1>MusicConnect</h1><p>Share your music with the world.</p></body></html>
"""


def _resolvable(host: str) -> bool:
    records = ZONE.get(host, {})
    return "A" in records or "CNAME" in records
