"""DNS checks: a name resolves, optionally to exactly the expected answers."""

from __future__ import annotations

import ipaddress
import time
from typing import Any

from tminus.backends.base import BackendError
from tminus.checks.base import CheckContext, backend_error_result, judge
from tminus.core.results import CheckResult, Outcome
from tminus.plan.checkspecs import DnsCheck


def _budget(total: float) -> float:
    # Finish before the runner's deadline so the check reports its own message.
    return max(total - min(0.2, total * 0.1), 0.001)


def normalize(rdtype: str, value: str) -> str:
    """The form answers are compared in: names case-insensitive without the trailing dot,
    addresses canonical, TXT exact (surrounding quotes tolerated)."""
    text = " ".join(value.split())
    if rdtype in ("A", "AAAA"):
        try:
            return ipaddress.ip_address(text).compressed
        except ValueError:
            return text.lower()
    if rdtype == "TXT":
        if len(text) >= 2 and text[0] == text[-1] == '"':
            return text[1:-1]
        return text
    if rdtype == "CAA":
        return text.lower()
    # CNAME, NS, MX ("10 mail.example."): names end the value
    return text.lower().rstrip(".")


def _compare(rdtype: str, expected: tuple[str, ...], answers: list[str]) -> str | None:
    """None when the answers are exactly the expected set, else what differs."""
    want = {normalize(rdtype, v): v for v in expected}
    got = {normalize(rdtype, v): v for v in answers}
    missing = [want[k] for k in want if k not in got]
    unexpected = [got[k] for k in got if k not in want]
    if not missing and not unexpected:
        return None
    parts = []
    if missing:
        parts.append("missing " + ", ".join(missing))
    if unexpected:
        parts.append("unexpected " + ", ".join(unexpected))
    return "answers differ: " + "; ".join(parts)


async def run_dns(spec: DnsCheck, ctx: CheckContext) -> CheckResult:
    started = time.monotonic()
    try:
        answer = await ctx.backends.dns.resolve(
            spec.name,
            spec.type,
            resolver=spec.resolver,
            port=spec.port,
            timeout=_budget(ctx.timeout),
        )
    except BackendError as exc:
        if exc.kind != "not_found":
            return backend_error_result(exc, started)
        # A name that should exist and does not is a failed check, not a broken one
        return CheckResult(
            outcome=Outcome.FAIL,
            message=f"no such name: {spec.name}",
            value=0,
            values={"answers": [], "count": 0, "ttl": None},
            duration_ms=(time.monotonic() - started) * 1000,
        )
    answers = list(answer.values)
    values: dict[str, Any] = {"answers": answers, "count": len(answers), "ttl": answer.ttl}
    shown = ", ".join(answers) if answers else "no records"
    message = f"{spec.type} {spec.name}: {shown}"
    if spec.values:
        difference = _compare(spec.type, spec.values, answers)
        if difference is not None:
            return CheckResult(
                outcome=Outcome.FAIL,
                message=f"{difference} ({message})",
                value=len(answers),
                values=values,
                duration_ms=(time.monotonic() - started) * 1000,
            )
    return judge(spec, values, value=len(answers), message=message, started=started)
