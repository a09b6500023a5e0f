"""The plan: an immutable checklist-as-code, loaded from TOML by tminus.plan.loader."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import field
from datetime import datetime, timedelta
from typing import Any, ClassVar, Literal

from tminus.core.conditions import Condition
from tminus.core.durations import parse_duration
from tminus.core.records import record
from tminus.core.series import Reducer
from tminus.plan.checkspecs import CheckSpec, Issues
from tminus.plan.schema import Tagged, condition_field, duration_field, offset_field


@record(frozen=True, kw_only=True)
class Launch:
    """What launches, when (T-0) and where."""

    name: str
    t0: datetime
    environment: str = "production"
    description: str = ""


@record(frozen=True, kw_only=True)
class PrometheusConfig:
    """Where metrics are queried, and how to authenticate."""

    url: str
    token_env: str | None = None  # bearer token read from this environment variable
    username_env: str | None = None  # basic auth
    password_env: str | None = None
    headers: dict[str, str] = field(default_factory=dict)  # e.g. X-Scope-OrgID for Mimir
    headers_env: dict[str, str] = field(default_factory=dict)
    ca_bundle: str | None = None
    verify: bool = True
    timeout: timedelta = duration_field(timedelta(seconds=10), positive=True)

    def validate(self) -> Issues:
        if not self.url.startswith(("http://", "https://")):
            yield ("url",), f"must start with http:// or https://, got {self.url!r}"
        if bool(self.username_env) != bool(self.password_env):
            yield ("password_env",), "basic auth needs both username_env and password_env"


@record(frozen=True, kw_only=True)
class KubernetesConfig:
    """The kubeconfig contexts checked, one per region."""

    contexts: tuple[str, ...]  # one kubeconfig context per region
    kubeconfig: str | None = None  # default: $KUBECONFIG or ~/.kube/config

    def validate(self) -> Issues:
        if not self.contexts:
            yield ("contexts",), "name at least one kubeconfig context"
        if len(set(self.contexts)) != len(self.contexts):
            yield ("contexts",), "contexts are listed twice"


DEMO_SCENARIOS = ("healthy", "bad-release", "flaky-dns")


@record(frozen=True, kw_only=True)
class DemoConfig:
    """The embedded simulated world; only plans that name it ever use it."""

    scenario: Literal["healthy", "bad-release", "flaky-dns"] = "healthy"
    seed: int = 1
    speed: float = 1.0

    def validate(self) -> Issues:
        if self.speed <= 0:
            yield ("speed",), "must be more than 0"


@record(frozen=True, kw_only=True)
class BackendsConfig:
    """The real (or demo) systems the plan's checks and metrics read."""

    prometheus: PrometheusConfig | None = None
    kubernetes: KubernetesConfig | None = None
    demo: DemoConfig | None = None


@record(frozen=True, kw_only=True)
class Settings:
    """How checks and polls run: concurrency, timeouts, intervals, freshness."""

    concurrency: int = 8
    check_timeout: timedelta = duration_field(timedelta(seconds=10), positive=True)
    poll_interval: timedelta = duration_field(timedelta(seconds=5), positive=True)
    # how often metric.sample events are logged
    sample_every: timedelta = duration_field(timedelta(seconds=60), positive=True)
    # a sign-off warns when a blocking check's last result is older than this
    fresh_within: timedelta | None = duration_field(optional=True, positive=True)

    def validate(self) -> Issues:
        if not 1 <= self.concurrency <= 1000:
            yield ("concurrency",), "must be between 1 and 1000"
        if self.poll_interval < timedelta(milliseconds=100):
            yield ("poll_interval",), "must be at least 100ms"


MIN_WATCH_EVERY = timedelta(seconds=1)


@record(frozen=True, kw_only=True)
class Item:
    """One checklist row: a manual confirmation or an automated check."""

    title: str
    id: str = ""  # derived from the title when not given
    manual: bool = False
    check: CheckSpec | None = None
    owner: str = ""
    blocking: bool = True
    runbook: str = ""  # text or a link
    # watched: re-run on this interval
    every: timedelta | None = duration_field(optional=True, positive=True)

    def validate(self) -> Issues:
        if self.every is not None and self.check is None:
            yield ("every",), "only an automated check can be watched"
        if self.every is not None and self.every < MIN_WATCH_EVERY:
            yield ("every",), f"must be at least {MIN_WATCH_EVERY.total_seconds():g}s"
        if self.manual and self.check is not None:
            yield ("manual",), "an item is either manual = true or has a check, not both"
        if not self.manual and self.check is None:
            yield (), "needs either manual = true or check = { kind = ... }"


@record(frozen=True, kw_only=True)
class Section:
    """A titled group of items within a phase, optionally timed."""

    title: str
    id: str = ""
    at: timedelta | None = offset_field(optional=True)
    items: tuple[Item, ...] = ()


@record(frozen=True, kw_only=True)
class Phase:
    """A checklist tab: its sections of items, at an offset from T-0."""

    id: str
    title: str
    at: timedelta = offset_field()
    sections: tuple[Section, ...] = ()
    # default for its automated items
    every: timedelta | None = duration_field(optional=True, positive=True)

    def validate(self) -> Issues:
        if self.every is not None and self.every < MIN_WATCH_EVERY:
            yield ("every",), f"must be at least {MIN_WATCH_EVERY.total_seconds():g}s"

    def items(self) -> Iterator[tuple[Section, Item]]:
        for section in self.sections:
            for item in section.items:
                yield section, item

    def watch_every(self, item: Item) -> timedelta | None:
        """How often a watched item re-runs while this phase is current (None: not watched)."""
        if item.check is None:
            return None
        return item.every or self.every


METRIC_UNITS = ("ratio", "seconds", "per_second", "count", "bytes", "none")


@record(frozen=True, kw_only=True)
class Metric:
    """A live metric: its query, unit and ok/warn ranges."""

    FIELDS: ClassVar[tuple[str, ...]] = ("value", "labels")
    TYPES: ClassVar[dict[str, str]] = {"value": "number", "labels": "map"}

    id: str
    title: str
    query: str
    unit: Literal["ratio", "seconds", "per_second", "count", "bytes", "none"] = "none"
    ok: Condition | None = condition_field()
    warn: Condition | None = condition_field()  # outside ok but inside warn: warn; else bad
    interval: timedelta | None = duration_field(optional=True, positive=True)
    series: Reducer = "each"  # several series: judge each, or fold them into one number


@record(frozen=True, kw_only=True)
class Trigger:
    """A rollback trigger: a metric condition held for a while, or a person's call."""

    FIELDS: ClassVar[tuple[str, ...]] = ("value", "labels")
    TYPES: ClassVar[dict[str, str]] = {"value": "number", "labels": "map"}

    id: str
    title: str
    metric: str | None = None
    when: Condition | None = condition_field()
    alert: str | None = None  # a PromQL alert expression: fires for every series it returns
    hold: timedelta = field(
        default=timedelta(0), metadata={"parse": parse_duration, "key": "for", "doc": "duration"}
    )
    series: Reducer = "each"  # each: one alert per series; worst: one alert for the query
    interval: timedelta | None = duration_field(optional=True)  # alert: how often to evaluate
    labels: dict[str, str] = field(default_factory=dict)  # kept from an imported rule
    summary: str = ""  # an imported rule's summary annotation
    manual: bool = False  # declared by a person, with a note

    def validate(self) -> Issues:
        if self.manual and (self.metric or self.when or self.alert):
            yield ("manual",), "a manual trigger has no metric, when or alert"
        elif self.alert is not None:
            if self.metric or self.when:
                yield ("alert",), "an alert trigger has no metric or when: it fires on any series"
            elif not self.alert.strip():
                yield ("alert",), "must be a PromQL expression"
        elif not self.manual and not (self.metric and self.when):
            yield (
                (),
                (
                    "needs metric and when (e.g. when = \"> 0.05\"), alert = '<PromQL>', "
                    "or manual = true"
                ),
            )


class Actuator(Tagged):
    """A rollout actuator's spec; its implementation is registered in tminus.actions."""

    KINDS: ClassVar[dict[str, type]] = {}

    def regions(self) -> tuple[str, ...]:
        """Where the weight is set: one entry per kubeconfig context, or one target."""
        return ("default",)


def _one_or_more_contexts(context: str, contexts: tuple[str, ...]) -> Issues:
    if bool(context) == bool(contexts):
        yield ("context",), 'give context = "..." or contexts = [...], not both'
    if len(set(contexts)) != len(contexts):
        yield ("contexts",), "contexts are listed twice"


@record(frozen=True, kw_only=True)
class IngressNginxActuator(Actuator):
    """Traffic weight through an ingress-nginx canary Ingress annotation."""

    kind: str
    namespace: str
    ingress: str  # the canary Ingress whose canary-weight annotation is set
    context: str = ""  # one region...
    contexts: tuple[str, ...] = ()  # ...or several, each with the same Ingress

    def regions(self) -> tuple[str, ...]:
        return self.contexts or (self.context,)

    def validate(self) -> Issues:
        yield from _one_or_more_contexts(self.context, self.contexts)


@record(frozen=True, kw_only=True)
class GatewayApiActuator(Actuator):
    """Traffic weight through a Gateway API HTTPRoute's backend weights."""

    kind: str
    namespace: str
    route: str  # HTTPRoute name
    stable: str  # backendRef names
    canary: str
    rule: int = 0
    context: str = ""
    contexts: tuple[str, ...] = ()

    def regions(self) -> tuple[str, ...]:
        return self.contexts or (self.context,)

    def validate(self) -> Issues:
        yield from _one_or_more_contexts(self.context, self.contexts)
        if self.stable == self.canary:
            yield ("canary",), "stable and canary must name different backendRefs"
        if self.rule < 0:
            yield ("rule",), "must be 0 or more"


@record(frozen=True, kw_only=True)
class CommandActuator(Actuator):
    """Traffic weight set (and read back) by local programs."""

    kind: str
    argv: tuple[str, ...] = ()  # "{weight}" in an argument is replaced with the percentage
    command: str | None = None  # only with shell = true
    shell: bool = False
    read_argv: tuple[str, ...] = ()  # optional: prints the weight now in force
    env_from: dict[str, str] = field(default_factory=dict)
    timeout: timedelta = duration_field(timedelta(seconds=60), positive=True)

    def validate(self) -> Issues:
        if self.shell != bool(self.command):
            yield ("command",), "use command with shell = true, or argv without a shell"
        if not self.shell and not self.argv:
            yield ("argv",), 'required: the program and its arguments, with "{weight}"'


@record(frozen=True, kw_only=True)
class WebhookActuator(Actuator):
    """Traffic weight set (and read back) through an HTTP endpoint."""

    kind: str
    url: str
    method: Literal["POST", "PUT", "PATCH"] = "POST"
    headers: dict[str, str] = field(default_factory=dict)
    headers_env: dict[str, str] = field(default_factory=dict)
    field_name: str = field(default="weight", metadata={"key": "field"})  # JSON body key
    read_url: str | None = None  # GET here reads the weight back (JSON, same field)
    timeout: timedelta = duration_field(timedelta(seconds=30), positive=True)

    def validate(self) -> Issues:
        for key, url in (("url", self.url), ("read_url", self.read_url or "http://")):
            if not url.startswith(("http://", "https://")):
                yield (key,), f"must start with http:// or https://, got {url!r}"


@record(frozen=True, kw_only=True)
class DemoActuator(Actuator):
    """Traffic weight in the embedded demo world."""

    kind: str

    def regions(self) -> tuple[str, ...]:
        return ("demo",)


Actuator.KINDS.update(
    {
        "ingress-nginx": IngressNginxActuator,
        "gateway-api": GatewayApiActuator,
        "command": CommandActuator,
        "webhook": WebhookActuator,
        "demo": DemoActuator,
    }
)

ON_TRIGGER = ("hold", "zero")


@record(frozen=True, kw_only=True)
class Rollout:
    """The guarded traffic rollout: weight steps, bake time and gate."""

    steps: tuple[int, ...] = (5, 25, 50, 100)
    bake: timedelta = duration_field(timedelta(minutes=10))
    actuator: Actuator
    # a trigger firing during a step: hold where we are, or set the weight to 0 at once
    on_trigger: Literal["hold", "zero"] = "hold"
    # metric ids that must be in their ok range to move up; default: every metric with ok
    gate: tuple[str, ...] | None = None

    def validate(self) -> Issues:
        if not self.steps:
            yield ("steps",), "needs at least one step"
        elif any(not 0 < s <= 100 for s in self.steps):
            yield ("steps",), "each step is a percentage between 1 and 100"
        elif list(self.steps) != sorted(set(self.steps)):
            yield ("steps",), "steps must increase, e.g. [5, 25, 50, 100]"

    def gating_metrics(self, metrics: tuple[Metric, ...]) -> tuple[Metric, ...]:
        if self.gate is None:
            return tuple(m for m in metrics if m.ok is not None)
        return tuple(m for m in metrics if m.id in self.gate)


class Action(Tagged):
    KINDS: ClassVar[dict[str, type]] = {}


@record(frozen=True, kw_only=True)
class CommandAction(Action):
    """A rollback step that runs a local program."""

    kind: str
    argv: tuple[str, ...] = ()
    command: str | None = None
    shell: bool = False
    cwd: str | None = None
    env_from: dict[str, str] = field(default_factory=dict)
    timeout: timedelta = duration_field(timedelta(minutes=5), positive=True)

    def validate(self) -> Issues:
        if self.shell != bool(self.command):
            yield ("command",), "use command with shell = true, or argv without a shell"
        if not self.shell and not self.argv:
            yield ("argv",), "required: the program and its arguments"


@record(frozen=True, kw_only=True)
class WebhookAction(Action):
    """A rollback step that calls an HTTP endpoint."""

    kind: str
    url: str
    method: Literal["POST", "PUT", "PATCH", "DELETE"] = "POST"
    headers: dict[str, str] = field(default_factory=dict)
    headers_env: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    timeout: timedelta = duration_field(timedelta(seconds=30), positive=True)


@record(frozen=True, kw_only=True)
class KubernetesPatchAction(Action):
    """A rollback step that patches a Kubernetes object."""

    kind: str
    context: str
    namespace: str
    api_version: str  # e.g. "apps/v1"
    resource: str  # plural, e.g. "deployments"
    name: str
    patch: dict[str, Any]
    patch_type: Literal["merge", "strategic"] = "merge"


@record(frozen=True, kw_only=True)
class RolloutAction(Action):
    """A rollback step that sets the rollout's traffic weight."""

    kind: str
    weight: int = 0  # route this share of traffic to the new version (0: all to previous)


@record(frozen=True, kw_only=True)
class VerifyAction(Action):
    """Run named checks and judge named metrics against their `ok` range, again and again,
    until all pass or `within` ends."""

    kind: str
    checks: tuple[str, ...] = ()  # item ids with an automated check
    metrics: tuple[str, ...] = ()  # [[metrics]] ids; each must have an `ok` condition
    within: timedelta = duration_field(timedelta(minutes=10))
    every: timedelta = duration_field(timedelta(seconds=15))

    def validate(self) -> Issues:
        if not self.checks and not self.metrics:
            yield ("checks",), "name at least one check (item id) or metric to verify"
        if self.every <= timedelta(0) or self.every > self.within:
            yield ("every",), "must be more than 0 and no longer than within"


@record(frozen=True, kw_only=True)
class DemoAction(Action):
    """A rollback step acted out in the embedded demo world."""

    kind: str
    effect: str = ""  # what the demo world does, e.g. "maintenance-on", "clear-caches"
    fail_times: int = 0  # the demo step fails this many times first (to show retry)


Action.KINDS.update(
    {
        "command": CommandAction,
        "webhook": WebhookAction,
        "kubernetes-patch": KubernetesPatchAction,
        "rollout": RolloutAction,
        "verify": VerifyAction,
        "demo": DemoAction,
    }
)


@record(frozen=True, kw_only=True)
class RollbackStep:
    """One step of the rollback checklist: an action, or a person's confirmed task."""

    title: str
    id: str = ""
    action: Action | None = None  # none: a person does it and confirms with a note
    dangerous: bool = False  # asks again before it runs; the answer defaults to no
    optional: bool = False  # "if needed": offered, may be skipped with a reason, never silent
    addition: bool = False  # not in the seed checklist: added by this plan
    runbook: str = ""

    @property
    def kind(self) -> str:
        """The action's kind, or "manual" when a person does it."""
        return str(getattr(self.action, "kind", "manual"))


@record(frozen=True, kw_only=True)
class Rollback:
    """The rollback checklist, in order."""

    steps: tuple[RollbackStep, ...] = ()


@record(frozen=True, kw_only=True)
class Contact:
    """Someone to reach during the launch, and how."""

    role: str
    name: str = ""
    via: str = ""  # PagerDuty, phone, Slack...
    details: str = ""


@record(frozen=True, kw_only=True)
class Channel:
    """A communication channel of the comms plan, for people to read."""

    name: str
    target: str = ""
    note: str = ""


NOTIFY_TOPICS = ("status", "phase", "rollout", "trigger", "rollback")


class Notifier(Tagged):
    """A channel tminus sends notifications through ([[comms.notify]])."""

    KINDS: ClassVar[dict[str, type]] = {}
    # declared for readers of any kind; each kind's dataclass defines them (_NotifyCommon)
    kind: str
    name: str
    on: tuple[str, ...]
    retries: int
    backoff: timedelta
    timeout: timedelta


@record(frozen=True, kw_only=True)
class _NotifyCommon:
    """What every notification channel has: topics, retries and timeouts."""

    name: str
    # what this channel is told: status updates, sign-offs, rollout steps, triggers, rollback
    on: tuple[str, ...] = NOTIFY_TOPICS
    retries: int = 3  # attempts after the first, with backoff doubling from `backoff`
    backoff: timedelta = duration_field(timedelta(seconds=2), positive=True)
    timeout: timedelta = duration_field(timedelta(seconds=10), positive=True)

    def _common(self) -> Issues:
        if not self.name.strip():
            yield ("name",), "must not be empty"
        for i, topic in enumerate(self.on):
            if topic not in NOTIFY_TOPICS:
                yield ("on", i), f"unknown topic {topic!r}; one of {', '.join(NOTIFY_TOPICS)}"
        if not 0 <= self.retries <= 20:
            yield ("retries",), "must be between 0 and 20"


def _url_issues(url: str | None, url_env: str | None) -> Issues:
    if bool(url) == bool(url_env):
        yield ("url",), "give url or url_env (an environment variable holding it), not both"
    elif url and not url.startswith(("http://", "https://")):
        yield ("url",), f"must start with http:// or https://, got {url!r}"


@record(frozen=True, kw_only=True)
class WebhookNotifier(Notifier, _NotifyCommon):
    """POSTs the notification as a JSON object."""

    kind: str
    url: str | None = None
    url_env: str | None = None  # the whole URL is a secret for many services
    method: Literal["POST", "PUT"] = "POST"
    headers: dict[str, str] = field(default_factory=dict)
    headers_env: dict[str, str] = field(default_factory=dict)
    verify: bool = True
    ca_bundle: str | None = None

    def validate(self) -> Issues:
        yield from self._common()
        yield from _url_issues(self.url, self.url_env)


@record(frozen=True, kw_only=True)
class SlackNotifier(Notifier, _NotifyCommon):
    """A Slack-compatible incoming webhook: `{"text": ..., "blocks": [...]}`."""

    kind: str
    url: str | None = None
    url_env: str | None = None
    verify: bool = True
    ca_bundle: str | None = None

    def validate(self) -> Issues:
        yield from self._common()
        yield from _url_issues(self.url, self.url_env)


@record(frozen=True, kw_only=True)
class EmailNotifier(Notifier, _NotifyCommon):
    """Plain-text mail over SMTP."""

    kind: str
    host: str
    port: int = 587
    starttls: bool = True  # upgrade a plain connection (port 587); `ssl` for port 465
    ssl: bool = False
    username_env: str | None = None
    password_env: str | None = None
    sender: str
    to: tuple[str, ...]

    def validate(self) -> Issues:
        yield from self._common()
        if not 0 < self.port < 65536:
            yield ("port",), "must be between 1 and 65535"
        if self.ssl and self.starttls:
            yield ("starttls",), "use ssl = true (port 465) or starttls = true, not both"
        if bool(self.username_env) != bool(self.password_env):
            yield ("password_env",), "SMTP login needs both username_env and password_env"
        if not self.to:
            yield ("to",), "name at least one recipient"
        for i, addr in enumerate(self.to):
            if "@" not in addr:
                yield ("to", i), f"not a mail address: {addr!r}"
        if "@" not in self.sender:
            yield ("sender",), f"not a mail address: {self.sender!r}"


@record(frozen=True, kw_only=True)
class CommandNotifier(Notifier, _NotifyCommon):
    """Runs argv (no shell): `{title}` and `{text}` in arguments are replaced, and the
    notification is in the environment as JSON (TMINUS_NOTIFICATION)."""

    kind: str
    argv: tuple[str, ...]
    env_from: dict[str, str] = field(default_factory=dict)  # variable -> env var to read

    def validate(self) -> Issues:
        yield from self._common()
        if not self.argv:
            yield ("argv",), "required: the program and its arguments"


Notifier.KINDS.update(
    {
        "webhook": WebhookNotifier,
        "slack": SlackNotifier,
        "email": EmailNotifier,
        "command": CommandNotifier,
    }
)

NotifyChannel = WebhookNotifier | SlackNotifier | EmailNotifier | CommandNotifier


@record(frozen=True, kw_only=True)
class Comms:
    """The communication plan and the channels tminus notifies."""

    internal: tuple[Channel, ...] = ()  # the communication plan, for people to read
    external: tuple[Channel, ...] = ()
    status_every: timedelta | None = duration_field(optional=True, positive=True)
    notify: tuple[Notifier, ...] = ()  # channels tminus sends through

    def validate(self) -> Issues:
        seen: set[str] = set()
        for i, ch in enumerate(self.notify):
            name = getattr(ch, "name", "")
            if name in seen:
                yield ("notify", i, "name"), f"duplicate channel name {name!r}"
            seen.add(name)
        if self.status_every is not None and self.status_every.total_seconds() < 60:
            yield ("status_every",), "must be at least 1m"


@record(frozen=True, kw_only=True)
class SuccessCriterion:
    """A post-launch success criterion: measured by a query, or confirmed by hand."""

    FIELDS: ClassVar[tuple[str, ...]] = ("value", "labels")
    TYPES: ClassVar[dict[str, str]] = {"value": "number", "labels": "map"}

    title: str
    id: str = ""
    metric: str | None = None  # a [[metrics]] id
    query: str | None = None  # or a query of its own
    target: Condition | None = condition_field()
    series: Reducer = "each"  # own query: judge each series, or fold them into one number
    manual: bool = False  # not measurable: a person confirms

    def validate(self) -> Issues:
        measured = bool(self.metric or self.query)
        if self.metric and self.query:
            yield ("query",), "give metric or query, not both"
        if self.manual and measured:
            yield ("manual",), "a manual criterion has no metric or query"
        if not self.manual and not measured:
            yield (), "needs metric or query with a target, or manual = true"
        if measured and self.target is None:
            yield ("target",), 'required with metric or query, e.g. target = "< 0.001"'


@record(frozen=True, kw_only=True)
class Plan:
    """The whole launch plan, as loaded and validated."""

    launch: Launch
    backends: BackendsConfig = field(default_factory=BackendsConfig)
    settings: Settings = field(default_factory=Settings)
    phases: tuple[Phase, ...] = ()
    metrics: tuple[Metric, ...] = ()
    triggers: tuple[Trigger, ...] = ()
    rollout: Rollout | None = None
    rollback: Rollback = field(default_factory=Rollback)
    contacts: tuple[Contact, ...] = ()
    comms: Comms = field(default_factory=Comms)
    success_criteria: tuple[SuccessCriterion, ...] = ()
    source: str = field(default="<plan>", metadata={"internal": True})

    def items(self) -> Iterator[tuple[Phase, Section, Item]]:
        for phase in self.phases:
            for section, item in phase.items():
                yield phase, section, item

    def item(self, item_id: str) -> tuple[Phase, Section, Item]:
        for triple in self.items():
            if triple[2].id == item_id:
                return triple
        raise KeyError(item_id)

    def metric(self, metric_id: str) -> Metric:
        for m in self.metrics:
            if m.id == metric_id:
                return m
        raise KeyError(metric_id)

    def trigger_metrics(self) -> frozenset[str]:
        """The metrics some trigger watches (a poll of one can change what fires)."""
        return frozenset(t.metric for t in self.triggers if t.metric)

    @property
    def is_demo(self) -> bool:
        return self.backends.demo is not None

    def to_dict(self) -> dict[str, Any]:
        from tminus.plan.serialize import plan_to_dict

        return plan_to_dict(self)
