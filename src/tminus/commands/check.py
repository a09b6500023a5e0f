"""`tminus check`: the plan's automated checks, headless, for CI and cron."""

from __future__ import annotations

import asyncio
import io
import json
import os
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any, TextIO

from tminus.core import gc_policy
from tminus.core.records import record
from tminus.core.redact import scrub_text
from tminus.core.results import CheckResult, Outcome
from tminus.core.values import format_check_value
from tminus.engine.runner import Listener
from tminus.plan.model import Item, Phase, Plan, Section

COLOURS = {
    "pass": "32",
    "warn": "33",
    "fail": "31",
    "error": "31;1",
    "inconclusive": "35",
    "skipped": "2",
    "manual": "36",
}


# The truth about a manual item in a headless run: nobody was asked, nothing was confirmed.
MANUAL_NOT_RUN = "manual item: not run by `tminus check`; a person confirms it in the console"


@record(frozen=True)
class Row:
    phase: Phase
    section: Section
    item: Item
    result: CheckResult | None  # None: a manual item

    @property
    def outcome(self) -> str:
        return "manual" if self.result is None else str(self.result.outcome)

    @property
    def value_text(self) -> str:
        """The value as the console's Value column shows it, with its unit."""
        if self.result is None or self.item.check is None:
            return ""
        check = self.item.check
        return format_check_value(
            check.kind, self.result.value, self.result.values, str(check.expect or "")
        )

    def to_dict(self) -> dict[str, Any]:
        r = self.result
        return {
            "id": self.item.id,
            "title": self.item.title,
            "phase": self.phase.id,
            "section": self.section.title,
            "kind": self.item.check.kind if self.item.check else "manual",
            "outcome": self.outcome,
            "value": r.value if r else None,
            "value_text": self.value_text,
            "message": r.message if r else MANUAL_NOT_RUN,
            "duration_ms": round(r.duration_ms, 1) if r else 0,
            "attempts": r.attempts if r else 0,
            "parts": [p.to_dict() for p in r.parts] if r else [],
        }


def select_items(
    plan: Plan, phase: str | None, items: list[str]
) -> list[tuple[Phase, Section, Item]]:
    from tminus.core.errors import UsageError

    chosen = list(plan.items())
    if phase is not None:
        ids = [p.id for p in plan.phases]
        if phase not in ids:
            raise UsageError(f"no phase {phase!r} in the plan (phases: {', '.join(ids)})")
        chosen = [t for t in chosen if t[0].id == phase]
    if items:
        known = {t[2].id for t in chosen}
        for i in items:
            if i not in known:
                where = f" in phase {phase!r}" if phase else ""
                raise UsageError(f"no item {i!r}{where} (see `tminus plan show`)")
        chosen = [t for t in chosen if t[2].id in items]
    return chosen


async def run_checks(
    plan: Plan,
    chosen: list[tuple[Phase, Section, Item]],
    *,
    concurrency: int | None,
    record: bool,
    plan_path: str,
    actor: str | None = None,
) -> tuple[list[Row], str | None]:
    """Run the checks and report what the session's events say: the same fold the
    console shows, read back from the file (or from memory with --no-record)."""
    from tminus.backends.factory import build_backends
    from tminus.engine.events import SessionStarted
    from tminus.engine.runner import CheckRunner
    from tminus.engine.session import MemoryLog, create_session, current_actor, load_events
    from tminus.engine.state import fold

    session = create_session(plan.launch.name) if record else None
    log = session if session is not None else MemoryLog()
    session_id = session.session_id if session is not None else "memory"
    started = SessionStarted.for_plan(plan, session=session_id, mode="check", plan_path=plan_path)
    who = current_actor(actor)
    await log.emit(started, actor=who)
    backends = build_backends(plan)
    total = sum(1 for t in chosen if t[2].check is not None)
    runner = CheckRunner(
        plan, backends, session=log, concurrency=concurrency, listener=progress(total)
    )
    reason = "check finished"
    try:
        await runner.run([t[2].id for t in chosen if t[2].check is not None], actor=who)
    except asyncio.CancelledError:
        runner.cancel()
        reason = "interrupted"
        raise
    finally:
        await backends.close()
        if session is not None:
            await asyncio.to_thread(session.close, reason=reason, actor=who)
    if session is not None:
        state = fold((await asyncio.to_thread(load_events, session.path)).events)
    else:
        assert isinstance(log, MemoryLog)
        state = fold(log.events)
    rows = []
    for phase, section, item in chosen:
        st = state.items.get(item.id)
        result = st.last if st is not None and item.check is not None else None
        if item.check is not None and result is None:  # started, never finished
            result = CheckResult(Outcome.SKIPPED, "no result was recorded")
        rows.append(Row(phase, section, item, result))
    return rows, session.session_id if session is not None else None


def progress(total: int) -> Listener | None:
    """A one-line counter on stderr while checks run, when stderr is a terminal."""
    if not sys.stderr.isatty() or total == 0:
        return None
    done = 0
    running = 0

    def show(item_id: str, result: CheckResult | None) -> None:
        nonlocal done, running
        if result is None:
            running += 1
        else:
            running -= 1
            done += 1
        line = f"{done}/{total} done, {running} running; last: {item_id}"
        end = "\n" if done == total else ""
        sys.stderr.write(f"\r\x1b[2K{line[:100]}{end}")
        sys.stderr.flush()

    return show


def exit_code(rows: list[Row]) -> int:
    bad = {"fail", "error", "inconclusive", "skipped"}
    return 1 if any(r.outcome in bad for r in rows) else 0


def summary(rows: list[Row]) -> dict[str, int]:
    counts = Counter(r.outcome for r in rows)
    return {
        k: counts.get(k, 0)
        for k in ("pass", "warn", "fail", "error", "inconclusive", "skipped", "manual")
    }


def print_human(
    rows: list[Row], session_id: str | None, out: TextIO, colour: bool | None = None
) -> None:
    if colour is None:
        colour = out.isatty() and not os.environ.get("NO_COLOR")

    def paint(text: str, outcome: str) -> str:
        return f"\x1b[{COLOURS[outcome]}m{text}\x1b[0m" if colour else text

    for r in rows:
        label = paint(f"{r.outcome.upper():<12}", r.outcome)
        detail = ""
        if r.result is not None:
            shown = r.value_text
            detail = f"  {shown}" if shown and shown not in r.result.message else ""
            detail += f"  {r.result.message}" if r.result.message else ""
            detail += f"  ({r.result.duration_ms:.0f} ms)"
        print(f"{label} {r.item.id}{detail}", file=out)
        if r.result is not None:
            for part in r.result.parts:
                if part.outcome is not Outcome.PASS:
                    message = part.message.removeprefix(f"{part.name}: ")
                    print(f"{'':12}   {part.name}: {part.outcome}: {message}", file=out)
    s = summary(rows)
    automated = len(rows) - s["manual"]
    parts = ", ".join(f"{n} {k}" for k, n in s.items() if n and k != "manual")
    line = f"{automated} checks: {parts or 'none run'}; {s['manual']} manual items not run"
    if session_id:
        line += f"; session {session_id}"
    print(line, file=out)


def to_json(plan: Plan, rows: list[Row], session_id: str | None) -> str:
    return json.dumps(
        {
            "plan": plan.launch.name,
            "source": plan.source,
            "session": session_id,
            "results": [r.to_dict() for r in rows],
            "summary": summary(rows),
        },
        indent=2,
        default=str,
    )


def write_junit(plan: Plan, rows: list[Row], path: Path) -> None:
    s = summary(rows)
    suite = ET.Element(
        "testsuite",
        name=plan.launch.name,
        tests=str(len(rows)),
        failures=str(s["fail"] + s["inconclusive"]),
        errors=str(s["error"]),
        skipped=str(s["skipped"] + s["manual"]),
        time=f"{sum(r.result.duration_ms for r in rows if r.result) / 1000:.3f}",
    )
    for r in rows:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"{r.phase.id}.{r.section.id}",
            name=r.item.title,
            time=f"{(r.result.duration_ms if r.result else 0) / 1000:.3f}",
        )
        msg = r.result.message if r.result else MANUAL_NOT_RUN
        if r.outcome in ("fail", "inconclusive"):
            ET.SubElement(case, "failure", message=msg, type=r.outcome).text = msg
        elif r.outcome == "error":
            ET.SubElement(case, "error", message=msg, type="error").text = msg
        elif r.outcome in ("skipped", "manual"):
            ET.SubElement(case, "skipped", message=msg)
        if r.result and r.result.output:
            ET.SubElement(case, "system-out").text = r.result.output
    root = ET.Element("testsuites")
    root.append(suite)
    tree = ET.ElementTree(root)
    ET.indent(tree)
    data = scrub_text(ET.tostring(root, encoding="unicode", xml_declaration=True)) + "\n"
    # 0600: it holds command output; an existing file keeps the mode its owner gave it
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(data)


def main(plan: Plan, args: Any) -> int:
    from tminus.core.errors import UsageError

    chosen = select_items(plan, args.phase, args.item or [])
    if args.concurrency is not None and not 1 <= args.concurrency <= 1000:
        raise UsageError("--concurrency must be between 1 and 1000")
    gc_policy.for_batch()  # the plan frozen out of the collector's way, fewer collections
    rows, session_id = asyncio.run(
        run_checks(
            plan,
            chosen,
            concurrency=args.concurrency,
            record=not args.no_record,
            plan_path=str(Path(args.plan).resolve()),
            actor=getattr(args, "as_actor", None),
        )
    )
    if args.json:
        print(scrub_text(to_json(plan, rows, session_id)))
    else:
        text = io.StringIO()
        print_human(rows, session_id, text, sys.stdout.isatty() and not os.environ.get("NO_COLOR"))
        sys.stdout.write(scrub_text(text.getvalue()))  # results are redacted; this is the net
    if args.junit:
        try:
            write_junit(plan, rows, Path(args.junit))
        except OSError as exc:
            raise UsageError(f"{args.junit}: cannot write: {exc.strerror}") from None
    return exit_code(rows)
