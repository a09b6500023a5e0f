"""MetricsBackend for a real Prometheus (or a compatible API: Thanos, Mimir, VictoriaMetrics).

Queries are plain async HTTP (aiohttp, imported on first use, never on the path to the first
frame). Each request carries its own deadline, enforced on the request itself, so a hung
query holds one connection and nothing else: no shared worker threads to starve.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import re
import ssl
import sys
from collections.abc import Mapping
from typing import Any

from tminus.backends.base import BackendError, QueryResult, RangeResult
from tminus.core.redact import register_basic, scrub_text, secret_from_env
from tminus.core.series import SeriesValue, labels_of
from tminus.plan.model import PrometheusConfig

_MAX_MESSAGE = 500
# Connections to the one Prometheus: hung queries each hold one, the rest stay free.
CONNECTIONS = 64


class PrometheusMetrics:
    """Instant and range queries against the plan's `[backends.prometheus]`."""

    def __init__(self, config: PrometheusConfig, env: Mapping[str, str]) -> None:
        self.config = config
        self.url = config.url.rstrip("/")
        self._missing: list[str] = []  # env vars the config names but the environment lacks
        self._headers: dict[str, str] = dict(config.headers)
        for header, var in config.headers_env.items():
            value = self._read(env, var)
            if value is not None:
                self._headers[header] = value
        if config.token_env:
            token = self._read(env, config.token_env)
            if token is not None:
                self._headers["Authorization"] = f"Bearer {token}"
        self._auth: tuple[str, str] | None = None
        if config.username_env and config.password_env:
            user = self._read(env, config.username_env)
            password = self._read(env, config.password_env)
            if user is not None and password is not None:
                register_basic(user, password)  # the Authorization header's base64 form
                self._auth = (user, password)
        self._session: Any = None

    def _read(self, env: Mapping[str, str], var: str) -> str | None:
        value = secret_from_env(env, var)
        if value is None:
            self._missing.append(var)
        return value

    # ------------------------------------------------------------------ public API
    async def query(self, promql: str, *, timeout: float) -> QueryResult:
        result = await self._call("query", {"query": promql}, timeout)
        return _instant(result)

    async def query_range(
        self, promql: str, *, start: float, end: float, step: float, timeout: float
    ) -> RangeResult:
        params = {
            "query": promql,
            "start": f"{start:.3f}",
            "end": f"{end:.3f}",
            "step": f"{step:g}",
        }
        result = await self._call("query_range", params, timeout)
        return _range(result)

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    # ------------------------------------------------------------------ internals
    def _ssl(self) -> bool | ssl.SSLContext:
        if not self.config.verify:
            return False
        if self.config.ca_bundle:
            return ssl.create_default_context(cafile=self.config.ca_bundle)
        return True

    async def _client(self) -> Any:
        if "aiohttp" not in sys.modules:  # first use: import off the loop (~0.1 s)
            await asyncio.to_thread(importlib.import_module, "aiohttp")
        import aiohttp

        if self._session is None or self._session.closed:
            try:
                tls = self._ssl()
            except OSError as exc:
                raise BackendError("unreachable", f"cannot read CA bundle: {exc}") from None
            headers = dict(self._headers)
            if self._auth:
                headers["Authorization"] = aiohttp.encode_basic_auth(*self._auth)
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=CONNECTIONS, ssl=tls),
                headers=headers,
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        return self._session

    async def _call(self, endpoint: str, params: dict[str, str], timeout: float) -> Any:
        if self._missing:
            names = ", ".join(f"${v}" for v in self._missing)
            raise BackendError("auth", f"environment variable not set: {names}")
        session = await self._client()
        import aiohttp

        # Also ask Prometheus to stop evaluating after the timeout (it answers errorType timeout)
        # (whole milliseconds: its duration syntax has no fractions, "4.8s" is a bad request)
        params = {**params, "timeout": f"{max(round(timeout * 1000), 1)}ms"}
        url = f"{self.url}/api/v1/{endpoint}"
        try:
            async with session.get(
                url, params=params, timeout=aiohttp.ClientTimeout(total=timeout)
            ) as response:
                text = await response.text(errors="replace")
                status = response.status
                reason = response.reason or ""
        except TimeoutError:
            raise BackendError(
                "timeout", f"no answer from {self.url} within {timeout:g}s"
            ) from None
        except aiohttp.ClientSSLError as exc:
            raise BackendError(
                "unreachable", f"TLS error with {self.url}: {_reason(exc)}"
            ) from None
        except aiohttp.ClientConnectionError as exc:
            raise BackendError(
                "unreachable", f"cannot connect to {self.url}: {_reason(exc)}"
            ) from None
        except aiohttp.ClientError as exc:
            raise BackendError("protocol", f"{self.url}: {_reason(exc)}") from None
        if status != 200:
            raise _http_error(status, reason, text, url)
        try:
            body = json.loads(text)
            return body["data"]["result"]
        except (ValueError, KeyError, TypeError) as exc:
            # 200 but not the API's JSON: a login page, or a URL that is not Prometheus
            raise BackendError(
                "protocol", f"{self.url} did not answer like a Prometheus API: {exc}"
            ) from None


def _reason(exc: BaseException) -> str:
    """The root cause of a client error, without object reprs."""
    cause: Any = getattr(exc, "os_error", None) or exc
    errno = getattr(cause, "errno", None)
    text = os.strerror(errno) if isinstance(errno, int) and errno > 0 else str(cause)
    text = re.sub(r"<[^>]*object at 0x[0-9a-f]+>:?\s*", "", text)
    text = re.sub(r"^Cannot connect to host [^ ]+ ssl:\S+ \[(.*)\]$", r"\1", text)
    return text.strip() or type(exc).__name__


def _http_error(status: int, reason: str, text: str, url: str) -> BackendError:
    error_type = ""
    message = ""
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if isinstance(body, dict):
        error_type = str(body.get("errorType") or "")
        message = str(body.get("error") or "")
    if not message:
        message = (text or reason or "").strip()
    message = scrub_text(message)[:_MAX_MESSAGE]  # redact before the cut
    if status in (401, 403):
        return BackendError("auth", f"HTTP {status} {reason}: {message}".rstrip(": "))
    if error_type in ("timeout", "canceled"):
        return BackendError("timeout", message or f"HTTP {status}")
    if status in (400, 422) or error_type in ("bad_data", "execution"):
        return BackendError("query", message or f"HTTP {status}")
    if status == 404:
        return BackendError("not_found", f"HTTP 404 for {url}: is the URL the API root?")
    if status in (502, 503, 504):
        return BackendError("unreachable", f"HTTP {status}: {message}".rstrip(": "))
    return BackendError("protocol", f"HTTP {status}: {message}".rstrip(": "))


def _number(raw: Any) -> float:
    """Prometheus sends sample values as strings, including "NaN", "+Inf" and "-Inf"."""
    try:
        return float(raw)
    except (TypeError, ValueError):
        raise BackendError("query", f"the query returned {json.dumps(raw)}, not a number") from None


def _instant(result: Any) -> QueryResult:
    if not isinstance(result, list):
        raise BackendError("protocol", f"unexpected query result: {scrub_text(str(result))[:200]}")
    if not result:
        return QueryResult(value=None, series=0)
    first = result[0]
    if isinstance(first, dict):  # vector (or matrix)
        if "value" not in first:
            raise BackendError(
                "query",
                "the query returns a range vector; wrap it in a function such as rate() "
                "or avg_over_time() to get one value per series",
            )
        return QueryResult.of(
            [
                SeriesValue(labels_of(item.get("metric") or {}), _number(item["value"][1]))
                for item in result
            ]
        )
    if len(result) == 2:  # scalar (or string): [time, "value"]
        return QueryResult.of([SeriesValue((), _number(result[1]))])
    raise BackendError("protocol", f"unexpected query result: {scrub_text(str(result))[:200]}")


def _range(result: Any) -> RangeResult:
    if not isinstance(result, list):
        raise BackendError(
            "protocol", f"unexpected query_range result: {scrub_text(str(result))[:200]}"
        )
    if not result:
        return RangeResult(points=())
    first = result[0]
    if not isinstance(first, dict) or "values" not in first:
        raise BackendError(
            "protocol", f"unexpected query_range result: {scrub_text(str(result))[:200]}"
        )
    return RangeResult(points=tuple((float(t), _number(v)) for t, v in first["values"]))
