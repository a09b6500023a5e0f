"""`tminus rehearse PLAN`: the fire drill. Exit 0 when ready, 1 when something would block
the launch (2 for a bad plan, from the CLI)."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any, TextIO

from tminus.engine.rehearse import BLOCKER, INFO, OK, WARN, Readiness, Rehearsal
from tminus.plan.model import Plan

MARKS = {OK: "✔", WARN: "▲", BLOCKER: "✘", INFO: "·"}
AREAS = {
    "check": "Checks",
    "metric": "Metric queries",
    "criterion": "Success criteria",
    "trigger": "Triggers",
    "rollout": "Rollout (dry-run preview)",
    "rollback": "Rollback (dry-run preview)",
    "notify": "Notifications (preview; nothing sent)",
}


async def rehearse(plan: Plan, *, speed: float, progress: bool) -> Readiness:
    from tminus.backends.factory import build_backends

    backends = build_backends(plan)

    def say(text: str) -> None:
        if progress:
            print(text, file=sys.stderr, flush=True)

    try:
        return await Rehearsal(plan, backends, speed=speed, progress=say).run()
    finally:
        await backends.close()


def print_report(report: Readiness, out: TextIO) -> None:
    for area, heading in AREAS.items():
        findings = [f for f in report.findings if f.area == area]
        if not findings:
            continue
        print(heading, file=out)
        for f in findings:
            detail = f": {f.detail}" if f.detail else ""
            print(f"  {MARKS.get(f.status, '?')} {f.title}{detail}", file=out)
            for line in f.preview:
                print(f"      {line}", file=out)
    blockers = report.blockers
    if not blockers:
        print(f"\nREADY: nothing would block the launch of {report.plan}.", file=out)
        return
    n = len(blockers)
    print(f"\nNOT READY: {n} thing{'s' if n != 1 else ''} would block the launch:", file=out)
    for f in blockers:
        print(f"  ✘ [{f.area}] {f.title}: {f.detail}", file=out)


def main(plan: Plan, args: Any) -> int:
    report = asyncio.run(
        rehearse(plan, speed=args.speed, progress=not args.json and sys.stderr.isatty())
    )
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        print_report(report, sys.stdout)
    return 0 if report.ready else 1
