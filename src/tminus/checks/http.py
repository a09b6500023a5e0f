"""HTTP checks: one request judged on status, timing, headers and body, or a burst of them
to prove a rate limiter answers 429."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from typing import Any

from tminus.backends.base import BackendError, HttpReply, HttpRequest
from tminus.checks.base import CheckContext, backend_error_result, error_result, judge
from tminus.core.redact import scrub_text, secret_from_env
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


def _request(spec: HttpCheck, headers: dict[str, str]) -> HttpRequest:
    return HttpRequest(
        method=spec.method,
        url=spec.url,
        headers=headers,
        body=spec.body,
        json=spec.json,
        verify=spec.verify,
        ca_bundle=spec.ca_bundle,
        follow_redirects=spec.follow_redirects,
    )


def _timed_out(spec: HttpCheck, ctx: CheckContext) -> str:
    return f"timeout: no response from {spec.url} within {ctx.timeout:g}s"


def _parse_body(reply: HttpReply) -> Any:
    # {} rather than None for non-JSON, so `body.status` reads as missing, not a type error
    if "json" not in reply.headers.get("content-type", "").lower():
        return {}
    try:
        return json.loads(reply.body)
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
    request = _request(spec, headers)
    if spec.burst > 0:
        return await _run_burst(spec, ctx, request, started)
    try:
        # socket timeouts are per read: bound the whole request as well (slow-drip servers)
        async with asyncio.timeout(timeout):
            reply = await ctx.backends.http.fetch(request, timeout=timeout, limit=BODY_LIMIT)
    except TimeoutError:
        return error_result(_timed_out(spec, ctx), started)
    except BackendError as exc:
        return backend_error_result(exc, started)
    status = reply.status
    try:
        text = reply.body.decode(reply.charset or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        text = reply.body.decode("utf-8", errors="replace")
    values: dict[str, Any] = {
        "status": status,
        "response_time": reply.elapsed,
        "headers": reply.headers,
        "body": _parse_body(reply),
        "text": scrub_text(text)[:TEXT_LIMIT],  # redact before the cut
        "count": 1,
        # so a burst-style condition on a single request reads values rather than failing
        "statuses": {str(status): 1},
        "rate_limited": int(status == 429),
    }
    message = f"{status} in {reply.elapsed * 1000:.0f} ms"
    return judge(spec, values, value=status, message=message, started=started)


async def _run_burst(
    spec: HttpCheck,
    ctx: CheckContext,
    request: HttpRequest,
    started: float,
) -> CheckResult:
    timeout = _budget(ctx.timeout)
    gate = asyncio.Semaphore(BURST_CONCURRENCY)
    statuses: Counter[str] = Counter()
    slowest = 0.0
    last_status: int | None = None
    first_error: str | None = None
    http = ctx.backends.http

    async def one() -> None:
        nonlocal slowest, last_status, first_error
        async with gate:
            try:
                reply = await http.fetch(request, timeout=timeout, limit=BURST_BODY_LIMIT)
            except (TimeoutError, BackendError) as exc:
                statuses["error"] += 1
                if first_error is None:
                    first_error = (
                        _timed_out(spec, ctx)
                        if isinstance(exc, TimeoutError)
                        else f"{exc.kind}: {exc}"
                    )
                return
        statuses[str(reply.status)] += 1
        last_status = reply.status
        slowest = max(slowest, reply.elapsed)

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
