"""`webhook`: one HTTP request (maintenance mode, cache purge, status page, chat message).
Header secrets come from environment variables and never reach the output."""

from __future__ import annotations

from tminus.actions.steps.base import ActionContext, ActionFailed, Output
from tminus.core.redact import secret_from_env
from tminus.plan.model import WebhookAction


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
        import httpx  # loaded on first use, not at start-up

        timeout = spec.timeout.total_seconds()
        client = self.ctx.backends.http.client(
            verify=True, ca_bundle=None, follow_redirects=False, timeout=timeout
        )
        try:
            async with client:
                response = await client.request(
                    spec.method,
                    spec.url,
                    headers=headers,
                    content=spec.body.encode() if spec.body is not None else None,
                )
        except httpx.TimeoutException:
            raise ActionFailed(f"{spec.method} {spec.url}: no answer within {timeout:g}s") from None
        except httpx.HTTPError as exc:
            raise ActionFailed(f"{spec.method} {spec.url}: {exc or type(exc).__name__}") from None
        text = response.text.strip()
        out(f"{spec.method} {spec.url} -> {response.status_code}")
        if text:
            out(text[:200])
        if not 200 <= response.status_code < 300:
            raise ActionFailed(f"{spec.method} {spec.url} answered {response.status_code}")
