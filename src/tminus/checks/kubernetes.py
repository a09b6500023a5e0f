"""Kubernetes checks: every region's nodes ready, workloads available, no pod crashlooping,
and the autoscalers the plan names in place. One part per kubeconfig context (region)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import field
from typing import Any

from tminus.backends.base import BackendError, ClusterSnapshot, HpaInfo
from tminus.checks.base import CheckContext, error_result, judge
from tminus.core.records import record
from tminus.core.results import CheckResult, Outcome, Part, worst
from tminus.plan.checkspecs import KubernetesCheck

MAX_PROBLEMS = 5  # named per region; the rest are counted


def _budget(total: float) -> float:
    # Give up before the runner's deadline, so a slow region is reported by name.
    return max(total - min(0.2, total * 0.1), 0.001)


@record
class _Findings:
    context: str
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def part(self) -> Part:
        if not self.problems:
            message = f"healthy ({self.counts['nodes']} nodes)"
            return Part(self.context, Outcome.PASS, message, dict(self.counts))
        shown = self.problems[:MAX_PROBLEMS]
        more = len(self.problems) - len(shown)
        message = "; ".join(shown) + (f"; +{more} more" if more else "")
        return Part(self.context, Outcome.FAIL, message, dict(self.counts))


def _has_hpa(entry: str, hpas: tuple[HpaInfo, ...]) -> bool:
    namespace, _, name = entry.rpartition("/")
    return any(h.target_name == name and (not namespace or h.namespace == namespace) for h in hpas)


def _examine(spec: KubernetesCheck, snap: ClusterSnapshot) -> _Findings:
    found = _Findings(snap.context)
    not_ready = [n for n in snap.nodes if not n.ready] if spec.nodes else []
    unavailable = [w for w in snap.workloads if w.available < w.desired] if spec.workloads else []
    crashing = [p for p in snap.pods if p.crashloop] if spec.crashloop else []
    missing = [e for e in spec.hpas if not _has_hpa(e, snap.hpas)]
    for n in not_ready:
        found.problems.append(f"node {n.name} NotReady" + (f" ({n.reason})" if n.reason else ""))
    for w in unavailable:
        found.problems.append(
            f"{w.kind} {w.namespace}/{w.name} {w.available}/{w.desired} available"
        )
    for p in crashing:
        found.problems.append(f"pod {p.namespace}/{p.name} {p.reason or 'CrashLoopBackOff'}")
    for e in missing:
        found.problems.append(f"no HPA for {e}")
    found.counts = {
        "nodes_not_ready": len(not_ready),
        "unavailable": len(unavailable),
        "crashlooping": len(crashing),
        "missing_hpas": len(missing),
        "nodes": len(snap.nodes),
    }
    return found


async def run_kubernetes(spec: KubernetesCheck, ctx: CheckContext) -> CheckResult:
    started = time.monotonic()
    kube = ctx.backends.kubernetes
    if kube is None:
        return error_result("no Kubernetes backend configured", started)
    contexts = list(spec.contexts or kube.contexts)
    if not contexts:
        return error_result("no Kubernetes contexts to check", started)
    timeout = _budget(ctx.timeout)
    snapshots = await asyncio.gather(
        *(
            kube.snapshot(
                c,
                namespaces=spec.namespaces,
                nodes=spec.nodes,
                workloads=spec.workloads,
                pods=spec.crashloop,
                hpas=bool(spec.hpas),
                timeout=timeout,
            )
            for c in contexts
        ),
        return_exceptions=True,
    )

    parts: list[Part] = []
    totals = dict.fromkeys(KubernetesCheck.FIELDS, 0)
    for context, snap in zip(contexts, snapshots, strict=True):
        if isinstance(snap, BackendError):
            parts.append(Part(context, Outcome.ERROR, f"{snap.kind}: {snap}"))
            continue
        if isinstance(snap, BaseException):
            raise snap
        found = _examine(spec, snap)
        for key, n in found.counts.items():
            totals[key] += n
        parts.append(found.part())

    healthy = sum(p.outcome is Outcome.PASS for p in parts)
    value = f"{healthy}/{len(parts)} regions healthy"
    values: dict[str, Any] = dict(totals)
    # Failing and erroring regions first: that is what the commander must read.
    bad = [f"{p.name}: {p.message}" for p in parts if p.outcome is not Outcome.PASS]
    message = "; ".join([*bad, value])
    outcome = worst([p.outcome for p in parts])
    if outcome is Outcome.ERROR:
        # Sums over the regions that answered would understate the problem: no verdict.
        return error_result(message, started, value=value, values=values, parts=tuple(parts))
    if spec.expect is None and outcome is not Outcome.PASS:
        return CheckResult(
            outcome=outcome,
            message=message,
            value=value,
            values=values,
            parts=tuple(parts),
            duration_ms=(time.monotonic() - started) * 1000,
        )
    # An explicit expect judges the sums (e.g. "unavailable <= 1"); otherwise judge only
    # applies warn_if to a healthy result.
    return judge(spec, values, value=value, message=message, started=started, parts=tuple(parts))
