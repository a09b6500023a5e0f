"""What each check kind accepts in a plan. Pure data: the runners live in tminus.checks."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import field
from datetime import timedelta
from typing import Any, ClassVar, Literal

from tminus.core.conditions import Condition
from tminus.core.records import record
from tminus.core.series import Reducer
from tminus.plan.schema import Path, Tagged, condition_field, duration_field

Issues = Iterator[tuple[Path, str]]


@record(frozen=True, kw_only=True)
class CheckSpec(Tagged):
    """Fields every check kind shares."""

    KINDS: ClassVar[dict[str, type[CheckSpec]]] = {}
    KIND: ClassVar[str] = ""
    # the one registration of a kind: its spec, where its check function lives (imported on
    # first use, so no check's dependencies load before a check of that kind runs), and
    # the Backends field it runs against (the demo world provides each one)
    RUNS: ClassVar[str] = ""  # "module:function"
    BACKEND: ClassVar[str] = ""
    DEFAULT_EXPECT: ClassVar[str | None] = None

    kind: str
    timeout: timedelta | None = duration_field(optional=True, positive=True)
    retries: int = 0
    backoff: timedelta = duration_field(timedelta(seconds=1))
    consecutive_errors: int = 1
    exclusive: bool = False
    expect: Condition | None = condition_field()
    warn_if: Condition | None = condition_field()

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if cls.KIND:
            CheckSpec.KINDS[cls.KIND] = cls

    def validate(self) -> Issues:
        if self.retries < 0:
            yield ("retries",), "must be 0 or more"
        if self.consecutive_errors < 1:
            yield ("consecutive_errors",), "must be 1 or more"
        if self.timeout is not None and self.timeout <= timedelta(0):
            yield ("timeout",), "must be more than 0"

    @property
    def condition(self) -> Condition | None:
        """The condition that decides pass/fail: the plan's, or the kind's default."""
        if self.expect is not None:
            return self.expect
        return Condition.parse(self.DEFAULT_EXPECT) if self.DEFAULT_EXPECT else None


@record(frozen=True, kw_only=True)
class HttpCheck(CheckSpec):
    """An HTTP(S) request, judged on its status, time, headers and body."""

    KIND = "http"
    RUNS = "tminus.checks.http:run_http"
    BACKEND = "http"
    FIELDS = (
        "status",
        "response_time",
        "headers",
        "body",
        "text",
        "rate_limited",
        "statuses",
        "count",
    )
    DEFAULT_EXPECT = "status == 200"
    TYPES = {
        "status": "number",
        "response_time": "number",
        "headers": "map",
        "text": "text",
        "rate_limited": "number",
        "statuses": "list",
        "count": "number",
    }

    url: str
    method: Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    headers_env: dict[str, str] = field(default_factory=dict)  # header -> env var (secrets)
    body: str | None = None
    json: dict[str, Any] | None = None
    ca_bundle: str | None = None
    verify: bool = True
    follow_redirects: bool = False
    burst: int = 0  # > 0: send this many requests; `rate_limited` counts the 429s

    def validate(self) -> Issues:
        yield from super().validate()
        if not self.url.startswith(("http://", "https://")):
            yield ("url",), f"must start with http:// or https://, got {self.url!r}"
        if self.body is not None and self.json is not None:
            yield ("json",), "give either body or json, not both"
        if not 0 <= self.burst <= 10_000:
            yield ("burst",), "must be between 0 and 10000"

    @property
    def condition(self) -> Condition | None:
        if self.expect is None and self.burst:
            return Condition.parse("rate_limited > 0")
        return super().condition


@record(frozen=True, kw_only=True)
class TlsCheck(CheckSpec):
    """A TLS handshake, judged on the certificate's days left, hostname and chain."""

    KIND = "tls"
    RUNS = "tminus.checks.tls:run_tls"
    BACKEND = "tls"
    FIELDS = ("days_left", "hostname_ok", "chain_ok", "subject", "issuer", "not_after")
    TYPES = {
        "days_left": "number",
        "hostname_ok": "bool",
        "chain_ok": "bool",
        "subject": "text",
        "issuer": "text",
    }
    DEFAULT_EXPECT = "days_left > 30"

    host: str
    port: int = 443
    sni: str | None = None
    ca_bundle: str | None = None
    verify: bool = True  # false: skip chain and hostname verification, still read dates

    def validate(self) -> Issues:
        yield from super().validate()
        if not 0 < self.port < 65536:
            yield ("port",), "must be a TCP port (1-65535)"


DNS_TYPES = ("A", "AAAA", "CNAME", "TXT", "MX", "CAA", "NS")


@record(frozen=True, kw_only=True)
class DnsCheck(CheckSpec):
    """A DNS lookup, judged on its answers, their count and TTL."""

    KIND = "dns"
    RUNS = "tminus.checks.dns:run_dns"
    BACKEND = "dns"
    FIELDS = ("answers", "count", "ttl")
    TYPES = {"answers": "list", "count": "number", "ttl": "number"}

    name: str
    type: Literal["A", "AAAA", "CNAME", "TXT", "MX", "CAA", "NS"] = "A"
    values: tuple[str, ...] = ()  # expected answers, compared as a set
    resolver: str | None = None
    port: int = 53

    def validate(self) -> Issues:
        yield from super().validate()
        if not 0 < self.port < 65536:
            yield ("port",), "must be a port (1-65535)"

    @property
    def condition(self) -> Condition | None:
        if self.expect is not None:
            return self.expect
        return None if self.values else Condition.parse("count > 0")


@record(frozen=True, kw_only=True)
class TcpCheck(CheckSpec):
    """A TCP connect, judged on its connect time."""

    KIND = "tcp"
    RUNS = "tminus.checks.tcp:run_tcp"
    BACKEND = "tcp"
    FIELDS = ("connect_time",)
    TYPES = {"connect_time": "number"}

    host: str
    port: int

    def validate(self) -> Issues:
        yield from super().validate()
        if not 0 < self.port < 65536:
            yield ("port",), "must be a TCP port (1-65535)"


@record(frozen=True, kw_only=True)
class PrometheusCheck(CheckSpec):
    """A PromQL query (or a [[metrics]] id), judged on its value."""

    KIND = "prometheus"
    RUNS = "tminus.checks.prometheus:run_prometheus"
    BACKEND = "metrics"
    FIELDS = ("value", "samples", "labels")
    TYPES = {"value": "number", "samples": "number", "labels": "map"}

    query: str | None = None
    alert: str | None = None  # an alert expression: fails while it returns any series
    series: Reducer = "each"  # several series: each must pass, or fold them into one number
    min_samples_query: str | None = None  # e.g. request count; below min_samples: inconclusive
    min_samples: float = 0.0

    def validate(self) -> Issues:
        yield from super().validate()
        if (self.query is None) == (self.alert is None):
            yield ("query",), "give query (with expect) or alert, one of the two"
        elif self.alert is not None:
            if self.expect is not None:
                yield ("expect",), "an alert check has no expect: it fails while alert returns data"
        elif self.expect is None:
            yield ("expect",), 'a prometheus check needs a condition, e.g. expect = "value < 0.001"'
        if self.min_samples < 0:
            yield ("min_samples",), "must be 0 or more"
        if self.min_samples and not self.min_samples_query:
            yield ("min_samples_query",), "required when min_samples is set"


@record(frozen=True, kw_only=True)
class KubernetesCheck(CheckSpec):
    """Cluster health: nodes ready, workloads available, no crash loops, HPAs present."""

    KIND = "kubernetes"
    RUNS = "tminus.checks.kubernetes:run_kubernetes"
    BACKEND = "kubernetes"
    FIELDS = ("nodes_not_ready", "unavailable", "crashlooping", "missing_hpas", "nodes")

    contexts: tuple[str, ...] = ()  # empty: every context of backends.kubernetes
    namespaces: tuple[str, ...] = ()  # empty: all namespaces
    nodes: bool = True
    workloads: bool = True
    crashloop: bool = True
    hpas: tuple[str, ...] = ()  # workloads ("ns/name" or "name") that must have an autoscaler


@record(frozen=True, kw_only=True)
class CommandCheck(CheckSpec):
    """A local program, judged on its exit code and output."""

    KIND = "command"
    RUNS = "tminus.checks.command:run_command"
    BACKEND = "commands"
    FIELDS = ("exit_code", "stdout", "stderr")
    TYPES = {"exit_code": "number", "stdout": "text", "stderr": "text"}
    DEFAULT_EXPECT = "exit_code == 0"

    argv: tuple[str, ...] = ()
    command: str | None = None  # only with shell = true
    shell: bool = False
    cwd: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    env_from: dict[str, str] = field(default_factory=dict)  # child var -> our env var (secrets)
    output_limit: int = 4096

    def validate(self) -> Issues:
        yield from super().validate()
        if self.shell and not self.command:
            yield ("command",), 'shell = true needs command = "..."'
        if not self.shell and self.command:
            yield ("command",), "command runs through a shell: set shell = true, or use argv"
        if not self.shell and not self.argv:
            yield ("argv",), 'required: the program and its arguments, e.g. ["make", "test"]'
        if self.output_limit < 0:
            yield ("output_limit",), "must be 0 or more"
