"""Kubernetes API objects per context for the actuators, on `kubernetes.aio` (lazy import).

The clients come from the plan's KubeClusters (one per context, shared with the checks).
"""

from __future__ import annotations

from typing import Any, Protocol

from tminus.actions.actuators.base import ActuatorError
from tminus.backends.base import Backends


class ClientSource(Protocol):
    async def api_client(self, context: str) -> Any: ...

    async def close(self) -> None: ...


class KubeApis:
    def __init__(self, clusters: ClientSource) -> None:
        self.clusters = clusters

    async def networking(self, context: str) -> Any:
        from kubernetes.aio import client

        return client.NetworkingV1Api(await self.clusters.api_client(context))

    async def custom(self, context: str) -> Any:
        from kubernetes.aio import client

        return client.CustomObjectsApi(await self.clusters.api_client(context))

    async def close(self) -> None:
        await self.clusters.close()


def kube_error(exc: Exception, region: str) -> ActuatorError:
    """One line a commander can act on, from an ApiException, a timeout or a refusal."""
    status = getattr(exc, "status", None)
    if status is not None:
        reason = getattr(exc, "reason", "") or ""
        message = _message(getattr(exc, "body", None)) or reason
        return ActuatorError(f"{region}: HTTP {status} {message}".strip())
    return ActuatorError(f"{region}: {type(exc).__name__}: {exc}".strip())


def _message(body: Any) -> str:
    import json

    if not body:
        return ""
    try:
        data = json.loads(body)
    except (TypeError, ValueError):
        return str(body)[:200]
    return str(data.get("message", ""))[:200] if isinstance(data, dict) else ""


class _NoClusters:
    """Without [backends.kubernetes] (the demo's preview): every call says so."""

    async def api_client(self, context: str) -> Any:
        raise ActuatorError(f"{context}: no [backends.kubernetes] in this plan")

    async def close(self) -> None:
        return None


def kube_apis(backends: Backends) -> KubeApis:
    source = getattr(backends.kubernetes, "api_client", None)
    if source is None:
        return KubeApis(_NoClusters())
    return KubeApis(backends.kubernetes)  # type: ignore[arg-type]
