"""TLS checks: how long until the certificate expires, and whether it verifies."""

from __future__ import annotations

import time
from datetime import UTC
from typing import Any

from tminus.backends.base import BackendError
from tminus.checks.base import CheckContext, backend_error_result, judge
from tminus.core.results import CheckResult, Outcome
from tminus.core.values import format_check_value
from tminus.plan.checkspecs import TlsCheck


def _budget(total: float) -> float:
    # Finish before the runner's deadline so the check reports its own message.
    return max(total - min(0.2, total * 0.1), 0.001)


async def run_tls(spec: TlsCheck, ctx: CheckContext) -> CheckResult:
    started = time.monotonic()
    try:
        info = await ctx.backends.tls.certificate(
            spec.host,
            spec.port,
            sni=spec.sni,
            ca_bundle=spec.ca_bundle,
            timeout=_budget(ctx.timeout),
        )
    except BackendError as exc:
        return backend_error_result(exc, started)
    not_after = info.not_after
    if not_after.tzinfo is None:  # certificates state UTC; a naive time means UTC
        not_after = not_after.replace(tzinfo=UTC)
    days_left = (not_after - ctx.backends.clock.now()).total_seconds() / 86400
    values: dict[str, Any] = {
        "days_left": days_left,
        "hostname_ok": info.hostname_ok,
        "chain_ok": info.chain_ok,
        "subject": info.subject,
        "issuer": info.issuer,
        "not_after": not_after.isoformat(),
    }
    value = round(days_left, 1)
    expiry = (
        f"expires {not_after:%Y-%m-%d} ({format_check_value('tls', value)})"
        if days_left >= 0
        else f"expired {not_after:%Y-%m-%d} ({-days_left:.1f} days ago)"
    )
    if spec.verify and not (info.chain_ok and info.hostname_ok):
        # An untrusted certificate fails whatever the expiry condition says
        reasons = []
        if not info.hostname_ok:
            name = spec.sni or spec.host
            reasons.append(f"hostname mismatch for {name}: {info.hostname_error or 'not valid'}")
        if not info.chain_ok:
            reasons.append(f"certificate chain not trusted: {info.chain_error or 'unknown'}")
        return CheckResult(
            outcome=Outcome.FAIL,
            message="; ".join([*reasons, expiry]),
            value=value,
            values=values,
            duration_ms=(time.monotonic() - started) * 1000,
        )
    return judge(spec, values, value=value, message=expiry, started=started)
