"""`webhook`: one HTTP request (maintenance mode, cache purge, status page, chat message).
Header secrets come from environment variables and never reach the output."""

from __future__ import annotations

from tminus.actions.steps.base import ActionContext, ActionFailed, Output
from tminus.backends.base import BackendError, HttpRequest
from tminus.core.redact import secret_from_env
from tminus.plan.model import WebhookAction

REPLY_LIMIT = 64 * 1024  # bytes of the answer read; the output shows its first 200 characters


class WebhookStep:
    def __init__(self, spec: WebhookAction, ctx: ActionContext) -> None:
        self.spec = spec
        self.ctx = ctx

    async def preview(self) -> str:
        spec = self.spec
        parts = [f"{spec.method} {spec.url}"]
        if spec.headers:
            parts.append("headers " + ", ".join(f"{k}: {v}" for k, v in spec.headers.items()))
        if spec.headers_env:
            parts.append(
                "headers " + ", ".join(f"{k} from ${v}" for k, v in spec.headers_env.items())
            )
        if spec.body is not None:
            parts.append(f"body {spec.body!r}")
        parts.append(f"timeout {spec.timeout.total_seconds():g}s; 2xx is success")
        return "; ".join(parts)

    async def run(self, out: Output) -> None:
        spec = self.spec
        headers = dict(spec.headers)
        for header, var in spec.headers_env.items():
            value = secret_from_env(self.ctx.backends.env, var)
            if not value:
                raise ActionFailed(f"environment variable {var} is not set (for header {header})")
            headers[header] = value
        timeout = spec.timeout.total_seconds()
        request = HttpRequest(
            method=spec.method,
            url=spec.url,
            headers=headers,
            body=spec.body,
            follow_redirects=False,
        )
        try:
            reply = await self.ctx.backends.http.fetch(request, timeout=timeout, limit=REPLY_LIMIT)
        except TimeoutError:
            raise ActionFailed(f"{spec.method} {spec.url}: no answer within {timeout:g}s") from None
        except BackendError as exc:
            raise ActionFailed(f"{spec.method} {spec.url}: {exc}") from None
        text = reply.body.decode(reply.charset or "utf-8", errors="replace").strip()
        out(f"{spec.method} {spec.url} -> {reply.status}")
        if text:
            out(text[:200])
        if not 200 <= reply.status < 300:
            raise ActionFailed(f"{spec.method} {spec.url} answered {reply.status}")
