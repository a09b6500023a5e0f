"""KubernetesBackend on the official client's asyncio API (`kubernetes.aio`), one client per
kubeconfig context (one per region).

`kubernetes.aio` takes about 0.65 s to import, so it is imported inside the methods that use it.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from tminus.backends.base import (
    BackendError,
    ClusterSnapshot,
    HpaInfo,
    NodeInfo,
    PodInfo,
    WorkloadInfo,
)
from tminus.core.redact import register_secret, scrub_text
from tminus.plan.model import KubernetesConfig

_MAX_MESSAGE = 300


def kubeconfig_path(config: KubernetesConfig, env: Mapping[str, str]) -> str:
    """config.kubeconfig, else $KUBECONFIG (may list several files), else ~/.kube/config."""
    if config.kubeconfig:
        return config.kubeconfig
    if env.get("KUBECONFIG"):
        return env["KUBECONFIG"]
    home = env.get("HOME")
    return os.path.join(home, ".kube", "config") if home else "~/.kube/config"


class KubeClusters:
    """Reads what the kubernetes check needs from each cluster, concurrently."""

    def __init__(self, config: KubernetesConfig, env: Mapping[str, str]) -> None:
        self.config = config
        self.kubeconfig = kubeconfig_path(config, env)
        self._merged: Any = None  # the kubeconfig file(s), parsed once
        self._clients: dict[str, Any] = {}
        self._lock: asyncio.Lock | None = None

    @property
    def contexts(self) -> Sequence[str]:
        return self.config.contexts

    async def close(self) -> None:
        clients, self._clients = self._clients, {}
        for client in clients.values():
            await client.close()

    async def snapshot(
        self,
        context: str,
        *,
        namespaces: Sequence[str],
        nodes: bool,
        workloads: bool,
        pods: bool,
        hpas: bool,
        timeout: float,
    ) -> ClusterSnapshot:
        try:
            async with asyncio.timeout(timeout):
                api = await self._client(context)
                return await _snapshot(
                    api,
                    context,
                    namespaces=namespaces,
                    nodes=nodes,
                    workloads=workloads,
                    pods=pods,
                    hpas=hpas,
                    timeout=timeout,
                )
        except BackendError:
            raise
        except Exception as exc:
            raise _translate(exc, timeout) from None

    async def api_client(self, context: str) -> Any:
        """The `kubernetes.aio` ApiClient for one context (shared, closed by close())."""
        try:
            return await self._client(context)
        except BackendError:
            raise
        except Exception as exc:
            raise _translate(exc, 30.0) from None

    async def _client(self, context: str) -> Any:
        client = self._clients.get(context)
        if client is not None:
            return client
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:  # concurrent checks must not create (and leak) a second client
            client = self._clients.get(context)
            if client is None:
                client = await self._new_client(context)
                self._clients[context] = client
            return client

    async def _new_client(self, context: str) -> Any:
        await asyncio.to_thread(_import_client)
        from kubernetes.aio import config
        from kubernetes.aio.config.kube_config import KubeConfigMerger

        if self._merged is None:
            # The loader reads and parses the file(s) synchronously: keep that off the loop.
            merger = await asyncio.to_thread(KubeConfigMerger, self.kubeconfig)
            if merger.config is None:
                raise BackendError("not_found", f"no kubeconfig at {self.kubeconfig}")
            self._merged = merger.config
            register_kubeconfig_secrets(self._merged.value)
        known = [str(c["name"]) for c in self._merged.value.get("contexts") or ()]
        if context not in known:
            raise BackendError(
                "not_found",
                f"context {context!r} is not in kubeconfig {self.kubeconfig}"
                f" (it has: {', '.join(known) or 'none'})",
            )
        try:
            # The dict form reuses the parsed file; relative certificate paths still resolve
            # against the file each entry came from (the merger records it).
            client = await config.new_client_from_config_dict(  # type: ignore[no-untyped-call]
                config_dict=self._merged, context=context
            )
        except config.ConfigException as exc:
            raise BackendError("not_found", f"kubeconfig context {context!r}: {exc}") from None
        await asyncio.to_thread(register_client_credentials, client)
        return client


# kubeconfig user fields that are credentials (auth-provider and exec hold more of them)
_CREDENTIAL_KEYS = (
    "token",
    "password",
    "client-key-data",
    "access-token",
    "id-token",
    "refresh-token",
    "client-secret",
)


def register_kubeconfig_secrets(kubeconfig: Any) -> None:
    """Register every credential of the kubeconfig, so an API error that echoes one (or a
    log line that quotes it) is redacted like a plan secret."""
    stack: list[Any] = [kubeconfig.get("users")]
    while stack:
        node = stack.pop()
        node = getattr(node, "value", node)  # the merger wraps entries in ConfigNode
        if isinstance(node, dict):
            for key, value in node.items():
                if key in _CREDENTIAL_KEYS and isinstance(value, str):
                    register_secret(value)
                    if key == "client-key-data":  # also the PEM it encodes
                        with contextlib.suppress(ValueError):
                            register_secret(base64.b64decode(value).decode().strip())
                else:
                    stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)


def register_client_credentials(client: Any) -> None:
    """Register what the loader produced beyond the kubeconfig's own fields: the token of
    a `tokenFile`, or an exec plugin's token or client key (its output never was in the
    file). The client holds them as the bearer token and the key file it presents."""
    conf = getattr(client, "configuration", None)
    bearer = (getattr(conf, "api_key", None) or {}).get("BearerToken")
    if isinstance(bearer, str):
        scheme, _, credential = bearer.partition(" ")
        register_secret(credential.strip() if credential else scheme.strip())
    key_file = getattr(conf, "key_file", None)
    if isinstance(key_file, str) and key_file:
        with contextlib.suppress(OSError, UnicodeDecodeError):
            register_secret(Path(key_file).read_text(encoding="utf-8").strip())


def _import_client() -> None:
    """Import what a snapshot uses, in a worker thread: over a second on first use (the client
    loads API classes and builds their pydantic models lazily, on first attribute access)."""
    import logging

    # The library logs its own warnings ("Config not found: ...", once per attempt) and,
    # with no handler configured, Python prints them on stderr over our output. Every
    # such failure reaches the user once, as a BackendError with our own message.
    library_log = logging.getLogger("kubernetes")
    if not library_log.handlers:
        library_log.addHandler(logging.NullHandler())
        library_log.propagate = False
    from kubernetes.aio import client

    for name in (
        "CoreV1Api",
        "AppsV1Api",
        "AutoscalingV2Api",
        "V1NodeList",
        "V1PodList",
        "V1DeploymentList",
        "V1StatefulSetList",
        "V2HorizontalPodAutoscalerList",
    ):
        getattr(client, name)


async def _snapshot(
    api: Any,
    context: str,
    *,
    namespaces: Sequence[str],
    nodes: bool,
    workloads: bool,
    pods: bool,
    hpas: bool,
    timeout: float,
) -> ClusterSnapshot:
    from kubernetes.aio import client as k

    core = k.CoreV1Api(api)
    apps = k.AppsV1Api(api)
    autoscaling = k.AutoscalingV2Api(api)
    opts: dict[str, Any] = {"_request_timeout": timeout}

    def lists(
        all_namespaces: Callable[..., Awaitable[Any]], namespaced: Callable[..., Awaitable[Any]]
    ) -> list[Awaitable[Any]]:
        if not namespaces:
            return [all_namespaces(**opts)]
        return [namespaced(ns, **opts) for ns in namespaces]

    # Every list call in one gather: a cluster answers in one round trip's time.
    calls: dict[str, list[Awaitable[Any]]] = {}
    if nodes:
        calls["nodes"] = [core.list_node(**opts)]
    if workloads:
        calls["deployments"] = lists(
            apps.list_deployment_for_all_namespaces, apps.list_namespaced_deployment
        )
        calls["statefulsets"] = lists(
            apps.list_stateful_set_for_all_namespaces, apps.list_namespaced_stateful_set
        )
    if pods:
        calls["pods"] = lists(core.list_pod_for_all_namespaces, core.list_namespaced_pod)
    if hpas:
        calls["hpas"] = lists(
            autoscaling.list_horizontal_pod_autoscaler_for_all_namespaces,
            autoscaling.list_namespaced_horizontal_pod_autoscaler,
        )
    flat = [(key, call) for key, group in calls.items() for call in group]
    answers = await _gather([call for _, call in flat])
    items: dict[str, list[Any]] = {key: [] for key in calls}
    for (key, _), answer in zip(flat, answers, strict=True):
        items[key].extend(answer.items or ())

    return ClusterSnapshot(
        context=context,
        nodes=tuple(_node(n) for n in items.get("nodes", ())),
        workloads=tuple(
            [
                _workload("Deployment", d, d.status.available_replicas if d.status else 0)
                for d in items.get("deployments", ())
            ]
            + [
                _workload("StatefulSet", s, s.status.ready_replicas if s.status else 0)
                for s in items.get("statefulsets", ())
            ]
        ),
        pods=tuple(_pod(p) for p in items.get("pods", ())),
        hpas=tuple(_hpa(h) for h in items.get("hpas", ())),
    )


async def _gather(calls: list[Awaitable[Any]]) -> list[Any]:
    """Like gather, but the first failure cancels the other calls instead of leaving them
    running on a client that may be closed next."""
    tasks = [asyncio.ensure_future(c) for c in calls]
    try:
        return await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _node(node: Any) -> NodeInfo:
    ready = (
        next(
            (c for c in (node.status.conditions or ()) if c.type == "Ready"),
            None,
        )
        if node.status
        else None
    )
    if ready is None:
        return NodeInfo(node.metadata.name, ready=False, reason="no Ready condition")
    if ready.status == "True":
        return NodeInfo(node.metadata.name, ready=True)
    reason = ready.reason or ready.message or ("Unknown" if ready.status == "Unknown" else "")
    return NodeInfo(node.metadata.name, ready=False, reason=reason)


def _workload(kind: str, obj: Any, available: int | None) -> WorkloadInfo:
    desired = obj.spec.replicas if obj.spec and obj.spec.replicas is not None else 1
    return WorkloadInfo(
        kind=kind,
        namespace=obj.metadata.namespace or "",
        name=obj.metadata.name,
        desired=desired,
        # The API omits zero counters, so the client reads them as None
        available=available or 0,
    )


def _pod(pod: Any) -> PodInfo:
    status = pod.status
    containers = (
        [*(status.init_container_statuses or ()), *(status.container_statuses or ())]
        if status
        else []
    )
    for c in containers:
        waiting = c.state.waiting if c.state else None
        if waiting is not None and waiting.reason == "CrashLoopBackOff":
            return PodInfo(
                pod.metadata.namespace or "",
                pod.metadata.name,
                crashloop=True,
                reason=f"CrashLoopBackOff (container {c.name}, {c.restart_count} restarts)",
            )
    return PodInfo(pod.metadata.namespace or "", pod.metadata.name, crashloop=False)


def _hpa(hpa: Any) -> HpaInfo:
    ref = hpa.spec.scale_target_ref
    return HpaInfo(
        namespace=hpa.metadata.namespace or "",
        name=hpa.metadata.name,
        target_kind=ref.kind,
        target_name=ref.name,
    )


def _translate(exc: Exception, timeout: float) -> BackendError:
    """The client's and aiohttp's errors, as the kinds a user can act on."""
    import aiohttp
    import pydantic
    from kubernetes.aio.client.exceptions import ApiException

    if isinstance(exc, ApiException):
        status = exc.status or 0
        detail = _status_message(exc.body) or exc.reason or ""
        text = scrub_text(f"HTTP {status} {detail}".strip())[:_MAX_MESSAGE]
        if status in (401, 403):
            return BackendError("auth", f"{text}")
        if status == 404:
            return BackendError("not_found", f"{text}")
        if status in (429, 502, 503, 504):
            return BackendError("unreachable", f"{text}")
        return BackendError("protocol", f"{text}")
    if isinstance(exc, TimeoutError):  # asyncio's, and aiohttp's ServerTimeoutError
        return BackendError("timeout", f"no answer within {timeout:g}s")
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return BackendError("unreachable", f"certificate of {exc.host}:{exc.port} not trusted")
    if isinstance(exc, aiohttp.ClientConnectorError):
        return BackendError(
            "unreachable", f"cannot connect to {exc.host}:{exc.port}: {exc.strerror}"
        )
    if isinstance(exc, aiohttp.ClientError | OSError):
        return BackendError("unreachable", f"{type(exc).__name__}: {exc}")
    if isinstance(exc, pydantic.ValidationError | ValueError):
        return BackendError(
            "protocol", scrub_text(f"unexpected answer from the API server: {exc}")[:_MAX_MESSAGE]
        )
    raise exc


def _status_message(body: Any) -> str:
    """The `message` of the metav1.Status the API server sends with an error."""
    if not body:
        return ""
    try:
        status = json.loads(body)
    except (TypeError, ValueError):
        return scrub_text(str(body))[:_MAX_MESSAGE]
    return str(status.get("message") or "") if isinstance(status, dict) else ""


def backend_error(exc: Exception, timeout: float) -> BackendError:
    """A Kubernetes client error as a BackendError with the API's own message."""
    return exc if isinstance(exc, BackendError) else _translate(exc, timeout)
