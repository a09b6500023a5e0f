"""webhook: an HTTP request whose JSON body carries the weight (feature flags, load balancers).

Success is a 2xx answer. With `read_url`, a GET there returns JSON whose `field` (dotted
path) is the weight in force. Header secrets come from environment variables and are
shown masked in the preview.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tminus.actions.actuators.base import Actuator, ActuatorError, Change, ReadBack, as_json
from tminus.backends.base import Backends
from tminus.core.redact import secret_from_env
from tminus.plan.model import WebhookActuator


def body_for(spec: WebhookActuator, weight: int) -> dict[str, Any]:
    return {spec.field_name: weight}


def _dig(data: Any, path: str) -> Any:
    for key in path.split("."):
        if not isinstance(data, dict) or key not in data:
            raise KeyError(path)
        data = data[key]
    return data


class WebhookWeight(Actuator):
    def __init__(self, spec: WebhookActuator, env: Mapping[str, str]) -> None:
        super().__init__(spec.regions())
        self.spec = spec
        self.env = env
        self.can_read = spec.read_url is not None
        self._client: Any = None

    def _headers(self, *, masked: bool) -> dict[str, str]:
        headers = {"Content-Type": "application/json", **self.spec.headers}
        for header, var in self.spec.headers_env.items():
            if masked:
                headers[header] = f"${var}"
                continue
            value = secret_from_env(self.env, var)
            if not value:
                raise ActuatorError(f"environment variable {var} is not set (header {header})")
            headers[header] = value
        return headers

    async def _http(self) -> Any:
        if self._client is None:
            import httpx

            self._client = httpx.AsyncClient(timeout=self.spec.timeout.total_seconds())
        return self._client

    async def preview(self, weight: int) -> list[Change]:
        headers = "\n".join(f"{k}: {v}" for k, v in self._headers(masked=True).items())
        body = f"{headers}\n\n{as_json(body_for(self.spec, weight))}"
        return [
            Change(r, "webhook", f"{self.spec.method} {self.spec.url}", body) for r in self.regions
        ]

    async def set_weight(self, region: str, weight: int) -> None:
        client = await self._http()
        try:
            resp = await client.request(
                self.spec.method,
                self.spec.url,
                json=body_for(self.spec, weight),
                headers=self._headers(masked=False),
            )
        except ActuatorError:
            raise
        except Exception as exc:
            raise ActuatorError(f"{self.spec.url}: {type(exc).__name__}: {exc}") from None
        if not 200 <= resp.status_code < 300:
            raise ActuatorError(f"{self.spec.url}: HTTP {resp.status_code} {resp.text[:200]}")

    async def read_weight(self, region: str) -> ReadBack:
        if self.spec.read_url is None:
            return ReadBack(region, None, error="no read_url: the weight cannot be read back")
        client = await self._http()
        try:
            resp = await client.get(self.spec.read_url, headers=self._headers(masked=False))
            resp.raise_for_status()
            return ReadBack(region, int(_dig(resp.json(), self.spec.field_name)))
        except Exception as exc:
            return ReadBack(region, None, error=f"{self.spec.read_url}: {exc}"[:300])

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()


def build(spec: WebhookActuator, backends: Backends) -> Actuator:
    return WebhookWeight(spec, backends.env)
