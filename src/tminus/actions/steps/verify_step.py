"""`verify`: run the named checks and judge the named metrics until all pass or the time
limit ends. Rounds are bounded by within/every, so a stopped clock cannot loop forever."""

from __future__ import annotations

import math

from tminus.actions.steps.base import ActionContext, ActionFailed, Output
from tminus.plan.model import VerifyAction


class VerifyStep:
    def __init__(self, spec: VerifyAction, ctx: ActionContext) -> None:
        self.spec = spec
        self.ctx = ctx

    def _what(self) -> str:
        named = [f"check {c}" for c in self.spec.checks] + [
            f"metric {m}" for m in self.spec.metrics
        ]
        return ", ".join(named)

    async def preview(self) -> str:
        return (
            f"verify {self._what()}: every {self.spec.every.total_seconds():g}s until all pass, "
            f"at most {self.spec.within.total_seconds():g}s; changes nothing"
        )

    async def run(self, out: Output) -> None:
        verifier = self.ctx.verifier
        if verifier is None:
            raise ActionFailed("nothing to verify with: no checks or metrics backend")
        clock = self.ctx.clock
        within = self.spec.within.total_seconds()
        every = self.spec.every.total_seconds()
        deadline = clock.monotonic() + within
        rounds = math.ceil(within / every) + 1
        lines: tuple[str, ...] = ()
        for n in range(1, rounds + 1):
            verdict = await verifier.verify(self.spec.checks, self.spec.metrics)
            lines = verdict.lines
            out(f"round {n}: " + "; ".join(lines))
            if verdict.passed:
                out("all passed")
                return
            if clock.monotonic() + every > deadline:
                break
            await clock.sleep(every)
        raise ActionFailed(f"not passing after {within:g}s: " + "; ".join(lines))
