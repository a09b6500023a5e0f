"""Read one Kubernetes object by API version, resource and name: what a rehearsal needs to
tell whether an actuator's or a rollback step's target exists. GET only."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from tminus.backends.base import BackendError, KubernetesBackend


def object_path(api_version: str, resource: str, namespace: str, name: str) -> str:
    base = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
    ns = f"/namespaces/{namespace}" if namespace else ""
    return f"{base}{ns}/{resource}/{name}"


async def read_object(
    clusters: KubernetesBackend,
    context: str,
    api_version: str,
    resource: str,
    namespace: str,
    name: str,
    *,
    timeout: float = 10.0,
) -> dict[str, Any]:
    """The object as JSON; BackendError("not_found") when it does not exist."""
    from tminus.backends.kube import _translate

    source = getattr(clusters, "api_client", None) or getattr(clusters, "_client", None)
    if source is None:
        raise BackendError("not_found", "this Kubernetes backend cannot read objects")
    path = object_path(api_version, resource, namespace, name)
    try:
        async with asyncio.timeout(timeout):
            api = await source(context)
            method, url, headers, _body, _post = await api.param_serialize(
                method="GET",
                resource_path=path,
                header_params={"Accept": "application/json"},
                auth_settings=["BearerToken"],
            )
            response = await api.call_api(method, url, header_params=headers)
            data = await response.read()
    except BackendError:
        raise
    except Exception as exc:
        raise _translate(exc, timeout) from None
    if response.status == 404:
        raise BackendError("not_found", f"{context}: {path} does not exist")
    if response.status >= 400:
        raise BackendError("protocol", f"{context}: HTTP {response.status} for {path}")
    obj: dict[str, Any] = json.loads(data)
    return obj
