"""The `verify` step's judge: the named checks run through the check runner (so their
results are in the log like any other run) and the named metrics queried fresh and held
against their `ok` range. Missing data is never a pass."""

from __future__ import annotations

from collections.abc import Sequence

from tminus.actions.steps.base import Verdict
from tminus.backends.base import BackendError, MetricsBackend
from tminus.core.results import Outcome
from tminus.core.series import is_data
from tminus.engine.runner import CheckRunner
from tminus.plan.model import Plan

GREEN = (Outcome.PASS, Outcome.WARN)
QUERY_TIMEOUT_S = 10.0


class PlanVerifier:
    def __init__(self, plan: Plan, runner: CheckRunner, metrics: MetricsBackend | None) -> None:
        self.plan = plan
        self.runner = runner
        self.metrics = metrics

    async def verify(self, checks: Sequence[str], metrics: Sequence[str]) -> Verdict:
        lines: list[str] = []
        passed = True
        if checks:
            results = await self.runner.run(checks)
            for item_id in checks:
                result = results.get(item_id)
                ok = result is not None and result.outcome in GREEN
                passed &= ok
                lines.append(f"{item_id} {result.outcome if result else 'not run'}")
        for metric_id in metrics:
            metric = self.plan.metric(metric_id)
            if self.metrics is None:
                passed = False
                lines.append(f"{metric_id}: no metrics backend")
                continue
            try:
                answer = await self.metrics.query(metric.query, timeout=QUERY_TIMEOUT_S)
            except BackendError as exc:
                passed = False
                lines.append(f"{metric_id}: {exc.kind}: {exc}")
                continue
            value = answer.value
            if not is_data(value):
                passed = False
                lines.append(f"{metric_id}: no data" if value is None else f"{metric_id}: {value}")
                continue
            ok = metric.ok is None or metric.ok.evaluate({"value": value})
            passed &= ok
            rule = metric.ok.text if metric.ok is not None else "no range"
            lines.append(f"{metric_id} {value:.4g} {'ok' if ok else 'not ' + rule}")
        return Verdict(passed=passed, lines=tuple(lines))
