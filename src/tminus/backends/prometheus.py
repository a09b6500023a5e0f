"""MetricsBackend for a real Prometheus (or a compatible API: Thanos, Mimir, VictoriaMetrics).

prometheus-api-client is synchronous (requests), so every call runs in a worker thread; the
package is imported there too, on first use, never on the path to the first frame.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from tminus.backends.base import BackendError, QueryResult, RangeResult
from tminus.core.redact import secret_from_env
from tminus.plan.model import PrometheusConfig

# Slack on top of the per-query timeout before the event loop gives up on the worker thread:
# requests' own timeout should fire first and give the better message.
_GRACE_S = 1.0
_MAX_MESSAGE = 500


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
                self._auth = (user, password)
        self._client: Any = None
        self._client_lock = threading.Lock()
        # The client raises on a non-200 answer with the body only as a bytes repr in its
        # message; a response hook keeps the last response per worker thread instead.
        self._local = threading.local()

    def _read(self, env: Mapping[str, str], var: str) -> str | None:
        value = secret_from_env(env, var)
        if value is None:
            self._missing.append(var)
        return value

    # ------------------------------------------------------------------ public API
    async def query(self, promql: str, *, timeout: float) -> QueryResult:
        result = await self._call(promql, timeout, None)
        return _instant(result)

    async def query_range(
        self, promql: str, *, start: float, end: float, step: float, timeout: float
    ) -> RangeResult:
        result = await self._call(promql, timeout, (start, end, step))
        return _range(result)

    async def close(self) -> None:
        with self._client_lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    # ------------------------------------------------------------------ internals
    async def _call(
        self,
        promql: str,
        timeout: float,
        span: tuple[float, float, float] | None,
    ) -> Any:
        if self._missing:
            names = ", ".join(f"${v}" for v in self._missing)
            raise BackendError("auth", f"environment variable not set: {names}")
        try:
            async with asyncio.timeout(timeout + _GRACE_S):
                return await asyncio.to_thread(self._blocking, promql, timeout, span)
        except TimeoutError:
            raise BackendError(
                "timeout", f"no answer from {self.url} within {timeout:g}s"
            ) from None

    def _connect(self) -> Any:
        with self._client_lock:
            if self._client is None:
                import requests
                from prometheus_api_client import PrometheusConnect
                from urllib3.util.retry import Retry

                session = requests.Session()
                # verify may be a CA bundle path; the client passes session.verify through
                session.verify = (self.config.ca_bundle or True) if self.config.verify else False
                session.hooks["response"].append(self._remember)
                self._client = PrometheusConnect(
                    url=self.url,
                    headers=self._headers or None,
                    auth=self._auth,
                    session=session,
                    # The check runner owns retries; the client's default retries 5xx and
                    # refused connections with backoff, which would hide an outage for seconds.
                    retry=Retry(0, read=False),
                )
            return self._client

    def _remember(self, response: Any, *args: Any, **kwargs: Any) -> None:
        self._local.response = response

    def _blocking(
        self,
        promql: str,
        timeout: float,
        span: tuple[float, float, float] | None,
    ) -> Any:
        import requests
        from prometheus_api_client.exceptions import PrometheusApiClientException

        client = self._connect()
        self._local.response = None
        # Also ask Prometheus to stop evaluating after the timeout (it answers errorType timeout)
        # (whole milliseconds: its duration syntax has no fractions, "4.8s" is a bad request)
        params = {"timeout": f"{max(round(timeout * 1000), 1)}ms"}
        try:
            if span is None:
                return client.custom_query(promql, params=params, timeout=timeout)
            start, end, step = span
            return client.custom_query_range(
                promql,
                start_time=datetime.fromtimestamp(start, UTC),
                end_time=datetime.fromtimestamp(end, UTC),
                step=f"{step:g}",
                params=params,
                timeout=timeout,
            )
        except PrometheusApiClientException as exc:
            raise _http_error(self._local.response, str(exc)) from None
        except requests.exceptions.Timeout:
            raise BackendError(
                "timeout", f"no answer from {self.url} within {timeout:g}s"
            ) from None
        except requests.exceptions.SSLError as exc:
            raise BackendError(
                "unreachable", f"TLS error with {self.url}: {_reason(exc)}"
            ) from None
        except requests.exceptions.ConnectionError as exc:
            raise BackendError(
                "unreachable", f"cannot connect to {self.url}: {_reason(exc)}"
            ) from None
        except (requests.exceptions.JSONDecodeError, KeyError, TypeError) as exc:
            # 200 but not the API's JSON: a login page, or a URL that is not Prometheus
            raise BackendError(
                "protocol", f"{self.url} did not answer like a Prometheus API: {exc}"
            ) from None
        except requests.exceptions.RequestException as exc:
            raise BackendError("protocol", f"{self.url}: {_reason(exc)}") from None


def _reason(exc: BaseException) -> str:
    """The root cause of a requests error, without urllib3's object reprs and retry wrapper."""
    cause: Any = exc.args[0] if exc.args else exc
    cause = getattr(cause, "reason", cause)  # MaxRetryError -> NewConnectionError etc.
    text = str(cause)
    text = re.sub(r"<[^>]*object at 0x[0-9a-f]+>:?\s*", "", text)
    text = re.sub(r"^\w*Connection\(host=[^)]*\):\s*", "", text)
    return text.strip() or type(exc).__name__


def _http_error(response: Any, fallback: str) -> BackendError:
    if response is None:
        return BackendError("protocol", fallback[:_MAX_MESSAGE])
    status: int = response.status_code
    error_type = ""
    message = ""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        error_type = str(body.get("errorType") or "")
        message = str(body.get("error") or "")
    if not message:
        message = (response.text or response.reason or "").strip()
    message = message[:_MAX_MESSAGE]
    if status in (401, 403):
        return BackendError("auth", f"HTTP {status} {response.reason}: {message}".rstrip(": "))
    if error_type in ("timeout", "canceled"):
        return BackendError("timeout", message or f"HTTP {status}")
    if status in (400, 422) or error_type in ("bad_data", "execution"):
        return BackendError("query", message or f"HTTP {status}")
    if status == 404:
        return BackendError(
            "not_found", f"HTTP 404 for {response.url.split('?')[0]}: is the URL the API root?"
        )
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
        raise BackendError("protocol", f"unexpected query result: {str(result)[:200]}")
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
        labels = {str(k): str(v) for k, v in (first.get("metric") or {}).items()}
        return QueryResult(value=_number(first["value"][1]), series=len(result), labels=labels)
    if len(result) == 2:  # scalar (or string): [time, "value"]
        return QueryResult(value=_number(result[1]), series=1)
    raise BackendError("protocol", f"unexpected query result: {str(result)[:200]}")


def _range(result: Any) -> RangeResult:
    if not isinstance(result, list):
        raise BackendError("protocol", f"unexpected query_range result: {str(result)[:200]}")
    if not result:
        return RangeResult(points=())
    first = result[0]
    if not isinstance(first, dict) or "values" not in first:
        raise BackendError("protocol", f"unexpected query_range result: {str(result)[:200]}")
    return RangeResult(points=tuple((float(t), _number(v)) for t, v in first["values"]))
