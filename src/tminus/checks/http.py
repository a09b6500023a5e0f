"""HTTP checks: one request judged on status, timing, headers and body, or a burst of them
to prove a rate limiter answers 429."""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import time
from collections import Counter
from typing import Any

import httpx

from tminus.checks.base import CheckContext, error_result, judge
from tminus.core.redact import secret_from_env
from tminus.core.results import CheckResult
from tminus.plan.checkspecs import HttpCheck

TEXT_LIMIT = 4096  # characters of the body a condition can read as `text`
BODY_LIMIT = 1 << 20  # bytes read for one check; a health endpoint is far smaller
BURST_BODY_LIMIT = 64 << 10  # per burst request: read it so the connection can be reused
BURST_CONCURRENCY = 20


def _budget(total: float) -> float:
    # Finish a little before the runner's own deadline so the check reports its own,
    # more useful, message instead of being cancelled.
    return max(total - min(0.2, total * 0.1), 0.001)


def _where(url: str) -> str:
    try:
        u = httpx.URL(url)
    except httpx.InvalidURL:
        return url
    port = u.port or (443 if u.scheme == "https" else 80)
    return f"[{u.host}]:{port}" if ":" in u.host else f"{u.host}:{port}"


def describe_error(exc: BaseException, url: str, timeout: float) -> str:
    """What went wrong, in the words of the error kinds: "unreachable: connection refused..."."""
    where = _where(url)
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        return f"timeout: no response from {url} within {timeout:g}s"
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
        return f"query: bad URL {url!r}: {exc}"
    # httpx wraps the socket error (sometimes twice): look for the cause
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ConnectionRefusedError):
            return f"unreachable: connection refused to {where}"
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"unreachable: certificate of {where} not trusted: {cause.verify_message}"
        if isinstance(cause, socket.gaierror):
            return f"unreachable: cannot resolve {where} ({cause.strerror})"
        cause = cause.__cause__ or cause.__context__
    if isinstance(exc, httpx.ConnectError):
        return f"unreachable: cannot connect to {where}: {exc}"
    return f"protocol: {type(exc).__name__} from {where}: {exc}"


async def _fetch(
    client: httpx.AsyncClient,
    spec: HttpCheck,
    headers: dict[str, str],
    timeout: float,
    limit: int,
) -> tuple[httpx.Response, bytes, float]:
    """One request; returns the response, up to `limit` bytes of body, and seconds taken."""
    started = time.monotonic()
    request = client.build_request(
        spec.method,
        spec.url,
        headers=headers,
        content=spec.body,
        json=spec.json,
        timeout=timeout,
    )
    response = await client.send(request, stream=True)
    try:
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size >= limit:
                break
    finally:
        await response.aclose()
    return response, b"".join(chunks)[:limit], time.monotonic() - started


def _parse_body(response: httpx.Response, raw: bytes) -> Any:
    # {} rather than None for non-JSON, so `body.status` reads as missing, not a type error
    if "json" not in response.headers.get("content-type", "").lower():
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        return {}


def _headers(spec: HttpCheck, ctx: CheckContext) -> dict[str, str] | str:
    """The request headers, or the error message when a secret's variable is not set."""
    headers = dict(spec.headers)
    for header, var in spec.headers_env.items():
        value = secret_from_env(ctx.backends.env, var)
        if not value:
            state = "is not set" if value is None else "is empty"
            return f"environment variable {var} {state} (needed for header {header})"
        headers[header] = value
    return headers


async def run_http(spec: HttpCheck, ctx: CheckContext) -> CheckResult:
    started = time.monotonic()
    headers = _headers(spec, ctx)
    if isinstance(headers, str):
        return error_result(headers, started)
    timeout = _budget(ctx.timeout)
    try:
        client = ctx.backends.http.client(
            verify=spec.verify,
            ca_bundle=spec.ca_bundle,
            follow_redirects=spec.follow_redirects,
            timeout=timeout,
        )
    except (OSError, ssl.SSLError) as exc:  # the CA bundle is missing or not PEM
        return error_result(f"query: cannot load CA bundle {spec.ca_bundle}: {exc}", started)
    if spec.burst > 0:
        return await _run_burst(spec, ctx, client, headers, started)
    try:
        # httpx timeouts are per read: bound the whole request as well (slow-drip servers)
        async with asyncio.timeout(timeout):
            response, raw, elapsed = await _fetch(client, spec, headers, timeout, BODY_LIMIT)
    except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
        return error_result(describe_error(exc, spec.url, ctx.timeout), started)
    status = response.status_code
    try:
        text = raw.decode(response.charset_encoding or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        text = raw.decode("utf-8", errors="replace")
    values: dict[str, Any] = {
        "status": status,
        "response_time": elapsed,
        "headers": {k.lower(): v for k, v in response.headers.items()},
        "body": _parse_body(response, raw),
        "text": text[:TEXT_LIMIT],
        "count": 1,
        # so a burst-style condition on a single request reads values rather than failing
        "statuses": {str(status): 1},
        "rate_limited": int(status == 429),
    }
    message = f"{status} in {elapsed * 1000:.0f} ms"
    return judge(spec, values, value=status, message=message, started=started)


async def _run_burst(
    spec: HttpCheck,
    ctx: CheckContext,
    client: httpx.AsyncClient,
    headers: dict[str, str],
    started: float,
) -> CheckResult:
    timeout = _budget(ctx.timeout)
    gate = asyncio.Semaphore(BURST_CONCURRENCY)
    statuses: Counter[str] = Counter()
    slowest = 0.0
    last_status: int | None = None
    first_error: str | None = None

    async def one() -> None:
        nonlocal slowest, last_status, first_error
        async with gate:
            try:
                response, _raw, elapsed = await _fetch(
                    client, spec, headers, timeout, BURST_BODY_LIMIT
                )
            except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
                statuses["error"] += 1
                if first_error is None:
                    first_error = describe_error(exc, spec.url, ctx.timeout)
                return
        statuses[str(response.status_code)] += 1
        last_status = response.status_code
        slowest = max(slowest, elapsed)

    try:
        async with asyncio.timeout(timeout), asyncio.TaskGroup() as group:
            for _ in range(spec.burst):
                group.create_task(one())
    except TimeoutError:
        done = sum(statuses.values())
        return error_result(
            f"timeout: {done} of {spec.burst} requests to {spec.url} done within {ctx.timeout:g}s",
            started,
        )
    failed = statuses["error"]
    if last_status is None:  # not one response: the endpoint is down, not rate limiting
        return error_result(first_error or "no responses", started)
    rate_limited = statuses["429"]
    values: dict[str, Any] = {
        "count": spec.burst,
        "statuses": {k: n for k, n in sorted(statuses.items()) if n},
        "rate_limited": rate_limited,
        "status": last_status,
        "response_time": slowest,
    }
    summary = ", ".join(f"{k}: {n}" for k, n in values["statuses"].items())
    message = (
        f"{spec.burst} requests ({summary}), {rate_limited} rate limited;"
        f" slowest {slowest * 1000:.0f} ms"
    )
    if failed:
        message += f" ({first_error})"
    return judge(spec, values, value=rate_limited, message=message, started=started)
