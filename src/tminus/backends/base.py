"""The interfaces checks and pollers talk to. Each has a real and a demo-world implementation.

Results are plain dataclasses so the check logic (tminus.checks) is the same for both, and
the real implementations keep heavy imports (kubernetes, dnspython) inside their modules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import field
from datetime import datetime
from typing import Any, Protocol

from tminus.core.clock import Clock, SystemClock
from tminus.core.records import record
from tminus.core.series import SeriesValue


class BackendError(Exception):
    """The backend could not answer: an error outcome, never a failed check.

    `kind` tells apart what the user must fix: "unreachable", "timeout", "auth",
    "query" (a bad request such as invalid PromQL), "not_found", "protocol".
    """

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


# ---------------------------------------------------------------- HTTP
@record(frozen=True, slots=True)
class HttpRequest:
    """One request as an http check sends it; `body` and `json` are never both set."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: str | None = None
    json: Any = None
    verify: bool = True
    ca_bundle: str | None = None
    follow_redirects: bool = False


@record(frozen=True, slots=True)
class HttpReply:
    """An HTTP response, its body bounded."""

    status: int
    headers: dict[str, str]  # names lowercased; a repeated header's values joined by ", "
    body: bytes  # at most the limit asked for, content-encoding already decoded
    charset: str | None  # from Content-Type, None when it names none
    elapsed: float  # seconds from sending to the last byte read


class HttpBackend(Protocol):
    async def fetch(self, request: HttpRequest, *, timeout: float, limit: int) -> HttpReply:
        """Send one request and read up to `limit` bytes of its body.

        Raises TimeoutError when nothing (or not all) arrives within `timeout`, and
        BackendError for everything else ("unreachable", "query", "protocol"), its message
        naming the host and port.
        """
        ...


# ---------------------------------------------------------------- TLS
@record(frozen=True)
class CertInfo:
    """A server certificate as seen in a TLS handshake."""

    subject: str
    issuer: str
    not_after: datetime
    hostname_ok: bool
    chain_ok: bool
    chain_error: str = ""  # why the chain did not verify
    hostname_error: str = ""


class TlsBackend(Protocol):
    async def certificate(
        self, host: str, port: int, *, sni: str | None, ca_bundle: str | None, timeout: float
    ) -> CertInfo: ...


# ---------------------------------------------------------------- DNS
@record(frozen=True)
class DnsAnswer:
    """The answers to one DNS question."""

    values: tuple[str, ...]  # normalized text: "1.2.3.4", "target.example.", "v=spf1 -all"
    ttl: int | None = None


class DnsBackend(Protocol):
    async def resolve(
        self, name: str, rdtype: str, *, resolver: str | None, port: int, timeout: float
    ) -> DnsAnswer:
        """Raises BackendError("not_found") for NXDOMAIN; an empty answer is DnsAnswer(())."""
        ...


# ---------------------------------------------------------------- TCP
class TcpBackend(Protocol):
    async def connect(self, host: str, port: int, *, timeout: float) -> float:
        """Seconds the connection took; raises BackendError when it cannot connect."""
        ...


# ---------------------------------------------------------------- Prometheus
@record(frozen=True)
class QueryResult:
    """An instant query's answer: every series in `samples`, sorted by labels.

    `value` and `labels` are the first series' (None when the result was empty); callers
    that judge an answer go through `samples`, so no series is left out.
    """

    value: float | None
    series: int = 0
    labels: Mapping[str, str] = field(default_factory=dict)
    samples: tuple[SeriesValue, ...] = ()

    @classmethod
    def of(cls, samples: list[SeriesValue]) -> QueryResult:
        ordered = tuple(sorted(samples, key=lambda s: s.labels))
        if not ordered:
            return cls(None, series=0)
        first = ordered[0]
        return cls(first.value, len(ordered), dict(first.labels), ordered)


@record(frozen=True)
class RangeResult:
    """A range query's points."""

    points: tuple[tuple[float, float], ...]  # (unix time, value)


class MetricsBackend(Protocol):
    async def query(self, promql: str, *, timeout: float) -> QueryResult: ...

    async def query_range(
        self, promql: str, *, start: float, end: float, step: float, timeout: float
    ) -> RangeResult: ...


# ---------------------------------------------------------------- Kubernetes
@record(frozen=True)
class NodeInfo:
    """A cluster node and whether it is ready."""

    name: str
    ready: bool
    reason: str = ""


@record(frozen=True)
class WorkloadInfo:
    """A workload's desired and available replicas."""

    kind: str  # Deployment, StatefulSet
    namespace: str
    name: str
    desired: int
    available: int


@record(frozen=True)
class PodInfo:
    """A pod, and whether it is crash looping."""

    namespace: str
    name: str
    crashloop: bool
    reason: str = ""


@record(frozen=True)
class HpaInfo:
    """A HorizontalPodAutoscaler and its target."""

    namespace: str
    name: str
    target_kind: str
    target_name: str


@record(frozen=True)
class ClusterSnapshot:
    """What one cluster context showed: nodes, workloads, pods and HPAs."""

    context: str
    nodes: tuple[NodeInfo, ...] = ()
    workloads: tuple[WorkloadInfo, ...] = ()
    pods: tuple[PodInfo, ...] = ()
    hpas: tuple[HpaInfo, ...] = ()


class KubernetesBackend(Protocol):
    @property
    def contexts(self) -> Sequence[str]: ...

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
        """What the check needs from one cluster; BackendError("auth") on 401/403."""
        ...

    async def close(self) -> None: ...


# ---------------------------------------------------------------- commands
@record(frozen=True)
class CommandOutput:
    """How a local program ended: exit code, output tails and time."""

    exit_code: int | None  # None when killed on timeout
    stdout: str  # bounded tails
    stderr: str
    timed_out: bool = False
    duration: float = 0.0


class CommandBackend(Protocol):
    async def run(
        self,
        argv: Sequence[str] | None,
        *,
        command: str | None,
        shell: bool,
        cwd: str | None,
        env: Mapping[str, str],
        timeout: float,
        output_limit: int,
    ) -> CommandOutput: ...


# ---------------------------------------------------------------- the set
@record
class Backends:
    """What one plan's checks run against: the real world or the demo world."""

    http: HttpBackend
    tls: TlsBackend
    dns: DnsBackend
    tcp: TcpBackend
    commands: CommandBackend
    metrics: MetricsBackend | None = None
    kubernetes: KubernetesBackend | None = None
    env: Mapping[str, str] = field(default_factory=dict)  # where *_env names are read
    clock: Clock = field(default_factory=SystemClock)  # "now" for checks (days_left...)
    demo_world: Any = None  # the simulated world, when these are the demo backends

    async def close(self) -> None:
        """Release pooled connections; safe to call more than once."""
        aclose = getattr(self.http, "aclose", None)
        if aclose is not None:
            await aclose()
        close_metrics = getattr(self.metrics, "close", None)
        if close_metrics is not None:
            await close_metrics()
        if self.kubernetes is not None:
            await self.kubernetes.close()
