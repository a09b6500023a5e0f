"""`kubernetes-patch`: a merge or strategic-merge patch of one object (roll a Deployment's
image back, scale it), then read back that the object carries the patch.

Uses the real `kubernetes.aio` client of the plan's context, imported on first use.
"""

from __future__ import annotations

import json
from typing import Any

from tminus.actions.steps.base import ActionContext, ActionFailed, Output
from tminus.backends.base import BackendError
from tminus.plan.model import KubernetesPatchAction

CONTENT_TYPES = {
    "merge": "application/merge-patch+json",
    "strategic": "application/strategic-merge-patch+json",
}
TIMEOUT_S = 30.0


def object_path(spec: KubernetesPatchAction) -> str:
    base = "/api/v1" if spec.api_version == "v1" else f"/apis/{spec.api_version}"
    return f"{base}/namespaces/{spec.namespace}/{spec.resource}/{spec.name}"


def carries(obj: Any, patch: Any) -> bool:
    """True when every value the patch sets is in the object (lists: items matched by
    `name` when they have one, as a strategic merge does, else by position)."""
    if isinstance(patch, dict):
        if not isinstance(obj, dict):
            return False
        return all(
            (k not in obj) if v is None else carries(obj.get(k), v) for k, v in patch.items()
        )
    if isinstance(patch, list):
        if not isinstance(obj, list):
            return False
        if all(isinstance(p, dict) and "name" in p for p in patch):
            by_name = {o.get("name"): o for o in obj if isinstance(o, dict)}
            return all(carries(by_name.get(p["name"]), p) for p in patch)
        return len(obj) == len(patch) and all(
            carries(o, p) for o, p in zip(obj, patch, strict=True)
        )
    return bool(obj == patch)


class KubernetesPatchStep:
    def __init__(self, spec: KubernetesPatchAction, ctx: ActionContext) -> None:
        self.spec = spec
        self.ctx = ctx

    async def preview(self) -> str:
        spec = self.spec
        return (
            f"PATCH {object_path(spec)} in context {spec.context} ({spec.patch_type} patch): "
            f"{json.dumps(spec.patch, sort_keys=True)}; then read it back"
        )

    async def run(self, out: Output) -> None:
        spec = self.spec
        kube = self.ctx.backends.kubernetes
        api_client = getattr(kube, "api_client", None)
        if api_client is None:
            raise ActionFailed("no Kubernetes API to patch here ([backends.kubernetes])")
        path = object_path(spec)
        try:
            api = await api_client(spec.context)
            out(f"PATCH {path} ({spec.patch_type}) in {spec.context}")
            await _call(
                api, "PATCH", path, body=spec.patch, content_type=CONTENT_TYPES[spec.patch_type]
            )
            current = await _call(api, "GET", path)
        except BackendError as exc:
            raise ActionFailed(f"{spec.context}: {exc}") from None
        except Exception as exc:
            from tminus.backends.kube import backend_error

            raise ActionFailed(f"{spec.context}: {backend_error(exc, TIMEOUT_S)}") from None
        version = (current.get("metadata") or {}).get("resourceVersion", "?")
        if not carries(current, spec.patch):
            raise ActionFailed(f"read back {spec.name} (version {version}): the patch is not there")
        out(f"read back {spec.resource}/{spec.name} version {version}: patch in place")


async def _call(
    api: Any, method: str, path: str, *, body: Any = None, content_type: str | None = None
) -> dict[str, Any]:
    headers = {"Accept": "application/json"}
    if content_type:
        headers["Content-Type"] = content_type
    params = await api.param_serialize(
        method=method,
        resource_path=path,
        header_params=headers,
        body=body,
        auth_settings=["BearerToken"],
    )
    response = await api.call_api(*params, _request_timeout=TIMEOUT_S)
    data = await response.read()
    if not 200 <= response.status < 300:
        from kubernetes.aio.client.exceptions import ApiException

        raise ApiException(status=response.status, reason=response.reason, body=data)
    result: dict[str, Any] = json.loads(data)
    return result
