"""The rehearsal: the whole plan against its real backends, with every actuator and action
in dry-run. It runs every check and metric query, judges every trigger, previews each
rollout and rollback step and each notification, and makes sure each target exists and
each far end answers; nothing is patched, posted, sent or run that would change anything.
The previews are the plug-ins' own: each rollout step through the actuator's `preview()`,
each rollback step through its step action's `preview()`, as the console shows them.

The outcome is a readiness report: what would block the launch, and why.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import asdict, field
from typing import Any

from tminus.actions.actuators.base import Actuator, Change, ReadBack
from tminus.actions.actuators.registry import build_actuator
from tminus.actions.steps import ActionContext, ActionFailed, step_action
from tminus.backends.base import BackendError, Backends
from tminus.core.clock import Clock, SystemClock
from tminus.core.records import record
from tminus.core.results import Outcome
from tminus.core.series import is_data
from tminus.core.units import format_metric
from tminus.engine.runner import CheckRunner
from tminus.engine.state import SessionState
from tminus.plan.model import (
    CommandAction,
    CommandActuator,
    DemoAction,
    DemoActuator,
    KubernetesPatchAction,
    Plan,
    WebhookAction,
    WebhookActuator,
)

OK, BLOCKER, WARN, INFO = "ok", "blocker", "warn", "info"
MAX_HOLD_WATCH = 30.0  # seconds of real time a rehearsal watches a trigger's hold

Progress = Callable[[str], None]


@record
class Finding:
    area: str  # check, metric, criterion, trigger, rollout, rollback, notify
    id: str
    title: str
    status: str  # ok, blocker, warn, info
    detail: str = ""
    preview: list[str] = field(default_factory=list)


@record
class Readiness:
    plan: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def blockers(self) -> list[Finding]:
        return [f for f in self.findings if f.status == BLOCKER]

    @property
    def ready(self) -> bool:
        return not self.blockers

    def add(self, *args: Any, **kw: Any) -> Finding:
        finding = Finding(*args, **kw)
        self.findings.append(finding)
        return finding

    def to_dict(self) -> dict[str, Any]:
        return {
            "plan": self.plan,
            "ready": self.ready,
            "blockers": [asdict(f) for f in self.blockers],
            "findings": [asdict(f) for f in self.findings],
        }


class Rehearsal:
    def __init__(
        self,
        plan: Plan,
        backends: Backends,
        *,
        speed: float = 1.0,
        clock: Clock | None = None,
        env: Mapping[str, str] | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.plan = plan
        self.backends = backends
        self.speed = speed
        self.clock = clock or SystemClock()
        self.env = os.environ if env is None else env
        self.progress = progress or (lambda _text: None)
        self.report = Readiness(plan.launch.name)
        self.values: dict[str, float | None] = {}
        self._built: Actuator | None = None

    async def run(self) -> Readiness:
        try:
            for name, step in (
                ("checks", self.checks),
                ("metric queries", self.metrics),
                ("triggers", self.triggers),
                ("rollout steps", self.rollout),
                ("rollback steps", self.rollback),
                ("notifications", self.notifications),
            ):
                self.progress(f"rehearsing {name}…")
                await step()
        finally:
            await self.close()
        return self.report

    # ------------------------------------------------------------ checks
    async def checks(self) -> None:
        runner = CheckRunner(self.plan, self.backends, session=None, state=SessionState())
        results = await runner.run()
        for phase, _section, item in self.plan.items():
            if item.manual:
                continue
            result = results.get(item.id)
            if result is None:
                continue
            good = result.outcome in (Outcome.PASS, Outcome.WARN)
            status = OK if good else (BLOCKER if item.blocking else WARN)
            detail = (
                f"{result.outcome}: {result.message}" if result.message else str(result.outcome)
            )
            self.report.add("check", item.id, f"{phase.title}: {item.title}", status, detail)

    # ------------------------------------------------------------ metrics and triggers
    async def _query(self, query: str) -> float | None:
        assert self.backends.metrics is not None
        timeout = self.plan.settings.check_timeout.total_seconds()
        result = await self.backends.metrics.query(query, timeout=timeout)
        return result.value

    async def metrics(self) -> None:
        if self.backends.metrics is None:
            return
        for m in self.plan.metrics:
            try:
                value = await self._query(m.query)
            except BackendError as exc:
                self.values[m.id] = None
                self.report.add("metric", m.id, m.title, BLOCKER, f"query error: {exc}")
                continue
            self.values[m.id] = value
            if value is None:
                self.report.add("metric", m.id, m.title, BLOCKER, "no data: the query is empty")
                continue
            if not is_data(value):
                self.report.add(
                    "metric", m.id, m.title, BLOCKER, f"no number: the query answers {value}"
                )
                continue
            text = format_metric(value, m.unit)
            if m.ok is not None and not m.ok.evaluate({"value": value}):
                self.report.add("metric", m.id, m.title, WARN, f"{text}: outside ok {m.ok.text}")
            else:
                self.report.add("metric", m.id, m.title, OK, text)
        for c in self.plan.success_criteria:
            if not c.query:
                continue
            try:
                value = await self._query(c.query)
            except BackendError as exc:
                self.report.add("criterion", c.id, c.title, BLOCKER, f"query error: {exc}")
                continue
            # a criterion is judged after the launch: no data yet is normal, an error is not
            detail = "no data yet" if value is None else f"now {value:g}"
            self.report.add("criterion", c.id, c.title, OK if value is not None else INFO, detail)

    async def triggers(self) -> None:
        for t in self.plan.triggers:
            if t.manual or t.metric is None or t.when is None:
                self.report.add("trigger", t.id, t.title, INFO, "manual: declared by a person")
                continue
            if self.backends.metrics is None:
                continue
            value = self.values.get(t.metric)
            if not is_data(value):
                self.report.add(
                    "trigger",
                    t.id,
                    t.title,
                    BLOCKER,
                    f"cannot be judged: metric {t.metric} has no "
                    + ("data" if value is None else f"number ({value})"),
                )
                continue
            if not t.when.evaluate({"value": value}):
                self.report.add("trigger", t.id, t.title, OK, f"quiet ({t.when.text} is false)")
                continue
            hold = t.hold.total_seconds() / self.speed
            if hold > 0:  # it must hold for `for`, as in the console (faster with --speed)
                await asyncio.sleep(min(hold, MAX_HOLD_WATCH))
                try:
                    value = await self._query(self.plan.metric(t.metric).query)
                except BackendError:
                    value = None
                if not is_data(value) or not t.when.evaluate({"value": value}):
                    self.report.add("trigger", t.id, t.title, WARN, "true once, did not hold")
                    continue
            self.report.add(
                "trigger", t.id, t.title, BLOCKER, f"would fire now: value {value:g} {t.when.text}"
            )

    # ------------------------------------------------------------ rollout
    async def _actuator(self) -> Actuator | None:
        """The plan's own actuator, built once: rollout and rollback preview through it."""
        if self.plan.rollout is None:
            return None
        if self._built is None:
            self._built = build_actuator(self.plan.rollout.actuator, self.backends)
        return self._built

    async def rollout(self) -> None:
        rollout = self.plan.rollout
        if rollout is None:
            return
        spec = rollout.actuator
        kind = str(getattr(spec, "kind", "?"))
        lines: list[str] = []
        problems: list[str] = []
        try:
            actuator = await self._actuator()
            assert actuator is not None
            for w in rollout.steps:  # the actuator's own dry run: what apply would send
                for change in await actuator.preview(w):
                    lines.append(f"{w}%: " + " ".join(change.lines()))
            status, detail = await self._actuator_target(spec, actuator)
        except Exception as exc:  # the actuator names what is wrong
            problems.append(str(exc))
            status, detail = BLOCKER, "; ".join(problems)
        self.report.add("rollout", kind, f"actuator {kind}", status, detail, lines)

    async def _actuator_target(self, spec: Any, actuator: Actuator) -> tuple[str, str]:
        """Whether the actuator could act: its program is on PATH, its webhook answers, and
        the weight reads back in every region (a read: GET, or the plan's read command)."""
        if isinstance(spec, DemoActuator):
            return INFO, "the demo world's traffic"
        problems: list[str] = []
        if isinstance(spec, CommandActuator):
            status, detail = self._on_path("/bin/sh" if spec.shell else spec.argv[0])
            if status == BLOCKER:
                problems.append(detail)
        elif isinstance(spec, WebhookActuator):
            status, detail = await self._answers(spec.url)
            if status == BLOCKER:
                problems.append(detail)
        if actuator.can_read:
            for region in actuator.regions:
                back = await actuator.read_weight(region)
                if back.error:
                    problems.append(f"{region}: {back.error}")
        if problems:
            return BLOCKER, "; ".join(problems)
        if not actuator.can_read:
            return WARN, "the weight cannot be read back (no read command or URL)"
        return OK, "target found in every region"

    async def close(self) -> None:
        if self._built is not None:
            await self._built.close()
            self._built = None

    # ------------------------------------------------------------ rollback
    def _action_context(self, actuator: Actuator | None) -> ActionContext:
        async def refuse(event_type: str, **_data: Any) -> None:
            raise ActionFailed(f"a rehearsal records nothing ({event_type})")

        return ActionContext(
            plan=self.plan,
            backends=self.backends,
            clock=self.clock,
            record=refuse,
            rollout=PreviewRollout(actuator) if actuator is not None else None,
        )

    async def rollback(self) -> None:
        try:
            actuator = await self._actuator()
        except Exception:  # the rollout finding already says why
            actuator = None
        ctx = self._action_context(actuator)
        for step in self.plan.rollback.steps:
            action = step.action
            status, detail, lines = OK, "", []
            if action is None:
                self.report.add(
                    "rollback", step.id, step.title, INFO, "a person does it and confirms"
                )
                continue
            try:  # the step action's own dry run, the one the rollback screen shows
                lines = (await step_action(action, ctx).preview()).splitlines()
            except ActionFailed as exc:
                status, detail = BLOCKER, str(exc)
            if status == OK:
                status, detail = await self._action_target(action)
            if status == BLOCKER and step.optional:
                status = WARN
            self.report.add("rollback", step.id, step.title, status, detail, lines)

    async def _action_target(self, action: Any) -> tuple[str, str]:
        """Whether the step could act: its program, webhook or object is there."""
        if isinstance(action, CommandAction):
            return self._on_path("/bin/sh" if action.shell else action.argv[0])
        if isinstance(action, WebhookAction):
            return await self._answers(action.url)
        if isinstance(action, KubernetesPatchAction):
            return await self._exists(
                action.context, action.api_version, action.resource, action.namespace, action.name
            )
        if isinstance(action, DemoAction):
            return INFO, "the demo world"
        return OK, ""

    # ------------------------------------------------------------ notifications
    async def notifications(self) -> None:
        from tminus.backends.notify import NotifyError, preview, probe
        from tminus.engine.notify import status_update

        note = status_update(self.plan, SessionState(), self.clock.now(), self.values)
        for ch in self.plan.comms.notify:
            try:
                detail, status = await probe(ch, self.env), OK
            except NotifyError as exc:
                detail, status = str(exc), BLOCKER
            shown = preview(ch, note)
            lines = [json.dumps(shown, ensure_ascii=False, sort_keys=True)]
            self.report.add("notify", ch.name, f"{ch.kind} {ch.name}", status, detail, lines)

    # ------------------------------------------------------------ probes
    async def _exists(
        self, context: str, api_version: str, resource: str, namespace: str, name: str
    ) -> tuple[str, str]:
        from tminus.backends.kube_read import read_object

        kube = self.backends.kubernetes
        if kube is None:
            return BLOCKER, "no [backends.kubernetes] to reach it"
        try:
            await read_object(kube, context, api_version, resource, namespace, name)
        except BackendError as exc:
            if exc.kind == "not_found":
                return BLOCKER, f"target does not exist: {resource} {namespace}/{name} in {context}"
            return BLOCKER, f"cannot read {resource} {namespace}/{name} in {context}: {exc}"
        return OK, f"{resource} {namespace}/{name} exists in {context}"

    def _on_path(self, program: str) -> tuple[str, str]:
        found = shutil.which(program, path=self.env.get("PATH"))
        if found is None:
            return BLOCKER, f"program not on PATH: {program}"
        return OK, f"found {found}"

    async def _answers(self, url: str) -> tuple[str, str]:
        from tminus.backends.notify import NotifyError, probe_url

        try:
            return OK, await probe_url(url)
        except NotifyError as exc:
            return BLOCKER, str(exc)


class PreviewRollout:
    """The rollout as a rehearsal's rollback step sees it: previews and read-backs through
    the plan's actuator; applying is refused (a rehearsal changes nothing)."""

    def __init__(self, actuator: Actuator) -> None:
        self.actuator = actuator

    async def preview(self, target: int) -> list[Change]:
        return await self.actuator.preview(target)

    async def read_back(self) -> list[ReadBack]:
        if not self.actuator.can_read:
            return [ReadBack(r, None, error="cannot be read back") for r in self.actuator.regions]
        return [await self.actuator.read_weight(r) for r in self.actuator.regions]

    async def apply(self, target: int, *, reason: str = "", actor: str | None = None) -> Any:
        raise ActionFailed("a rehearsal changes nothing")
