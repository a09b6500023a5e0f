"""DemoKubernetes: the three regional clusters, as the kubernetes check sees them.

The canary Deployment grows with the traffic weight; in the bad-release scenario one of its
pods in prod-eu-west crash-loops from 25 % on, the same release whose errors the metrics show.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from tminus.backends.base import (
    BackendError,
    ClusterSnapshot,
    HpaInfo,
    NodeInfo,
    PodInfo,
    WorkloadInfo,
)
from tminus.backends.demo.topology import (
    CANARY,
    CANARY_REGION,
    DATA_STATEFULSETS,
    HPAS,
    REGIONS,
    WEB_DEPLOYMENTS,
    canary_replicas,
    node_names,
    pod_names,
)
from tminus.backends.demo.world import DemoWorld

CRASHLOOP_WEIGHT = 25
CRASHLOOP_REASON = "CrashLoopBackOff: back-off restarting failed container api (exit code 1)"


class DemoKubernetes:
    def __init__(self, world: DemoWorld) -> None:
        self.world = world

    @property
    def contexts(self) -> Sequence[str]:
        return REGIONS

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
        if context not in REGIONS:
            raise BackendError(
                "not_found", f"demo world: no context {context!r} (known: {', '.join(REGIONS)})"
            )
        await asyncio.sleep(0.005)
        full = cluster(self.world, context)
        wanted = set(namespaces)

        def keep(ns: str) -> bool:
            return not wanted or ns in wanted

        return ClusterSnapshot(
            context=context,
            nodes=full.nodes if nodes else (),
            workloads=tuple(w for w in full.workloads if keep(w.namespace)) if workloads else (),
            pods=tuple(p for p in full.pods if keep(p.namespace)) if pods else (),
            hpas=tuple(h for h in full.hpas if keep(h.namespace)) if hpas else (),
        )

    async def close(self) -> None:
        return None


def cluster(world: DemoWorld, context: str) -> ClusterSnapshot:
    """Everything in one cluster at the world's current time and weight."""
    seed, weight = world.seed, world.weight
    crashing = world.bad and context == CANARY_REGION and weight >= CRASHLOOP_WEIGHT
    workloads: list[WorkloadInfo] = []
    pods: list[PodInfo] = []
    deployments = {**WEB_DEPLOYMENTS, CANARY: canary_replicas(weight)}
    for name, replicas in deployments.items():
        broken = 1 if crashing and name == CANARY else 0
        workloads.append(WorkloadInfo("Deployment", "web", name, replicas, replicas - broken))
        for i, pod in enumerate(pod_names(seed, context, name, replicas)):
            crash = i < broken
            pods.append(PodInfo("web", pod, crash, CRASHLOOP_REASON if crash else ""))
    for name, replicas in DATA_STATEFULSETS.items():
        workloads.append(WorkloadInfo("StatefulSet", "data", name, replicas, replicas))
        pods.extend(PodInfo("data", f"{name}-{i}", False) for i in range(replicas))
    return ClusterSnapshot(
        context=context,
        nodes=tuple(NodeInfo(n, True) for n in node_names(context)),
        workloads=tuple(workloads),
        pods=tuple(pods),
        hpas=tuple(HpaInfo("web", h, "Deployment", target) for h, target in HPAS.items()),
    )
