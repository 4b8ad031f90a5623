"""DC24: a burst beyond the rate limit gets 429 Too Many Requests with Retry-After.

Sends up to ``probe.rate_limit_burst`` (default 30) valid requests, one after another, and
stops at the first 429. From the authenticated predictions the server admitted before it
(every probe's, whatever their status other than 401/403/429) and the Retry-After delay, it
estimates the daily allowance of one key (an estimate: the server's window may differ). With
``--run``, the allowance is set against the measured extraction cost: a limit that lets one
client reach the measured extraction fidelity within a day fails; no limit at all on a model
whose extraction was measured is raised to critical.
"""

from __future__ import annotations

from email.utils import parsedate_to_datetime

from safedl.deploy.context import CheckContext
from safedl.deploy.probes.common import needs_key, needs_shape, run_probe
from safedl.deploy.probes.output import HIGH_FIDELITY
from safedl.deploy.probes.session import Exchange, ProbeSession
from safedl.deploy.types import Outcome, Severity

DAY = 86_400


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds (delta-seconds or an HTTP date), None when absent or invalid."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        from datetime import datetime, timezone

        when = parsedate_to_datetime(value)
        return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
    except (TypeError, ValueError):
        return None


def _admitted(e: Exchange) -> bool:
    return (
        e.path == "/v1/predict"
        and e.status is not None
        and e.status not in (401, 403, 429)
        and not e.purpose.startswith(("auth:none", "leak:"))
    )


def _extraction_sentence(ctx: CheckContext) -> tuple[str, float | None, bool]:
    """(sentence, queries the measured extraction used, was it high fidelity?)."""
    ev = ctx.evidence.extraction() if ctx.evidence else None
    if ev is None or ev.fidelity is None:
        policy = ctx.evidence.query_policy() if ctx.evidence else None
        if policy and policy.extraction_queries:
            return (
                f"the threat model budgets {policy.extraction_queries:,} extraction queries "
                f"(rate_limit = {policy.rate_limit})",
                None,
                False,
            )
        return "", None, False
    q = f" after {ev.queries:,.0f} queries" if ev.queries else ""
    return (
        f"extraction reached {ev.fidelity.value:.0%} fidelity{q}",
        ev.queries,
        ev.fidelity.value >= HIGH_FIDELITY,
    )


def _probe(ctx: CheckContext, s: ProbeSession) -> Outcome:
    skip = needs_shape(s) or needs_key(s)
    if skip:
        return skip
    burst = min(s.options.rate_limit_burst, s.remaining_requests())
    if burst <= 0:
        return Outcome.skipped(f"no request left in the probe budget ({s.budget_text()})")
    # Authenticated predictions the server admitted (not 401/403/429) count against a key's
    # allowance, whatever their validation outcome.
    admitted = sum(1 for e in s.exchanges if _admitted(e) and e.purpose != "auth:wrong-key")
    limited = None
    sent = 0
    for i in range(burst):
        ex = s.predict(f"rate:{i}")
        sent += 1
        if ex.status == 429:
            limited = ex
            break
        if _admitted(ex):
            admitted += 1
    cited, extraction_queries, high_fidelity = _extraction_sentence(ctx)
    if limited is None:
        severity = reason = None
        if high_fidelity:
            severity, reason = Severity.CRITICAL, f"measured: {cited}"
        return Outcome.failed(
            f"{sent} requests in a burst, none refused with 429" + (f"; {cited}" if cited else ""),
            severity=severity,
            severity_reason=reason or "",
        )
    header = {k.lower(): v for k, v in limited.headers.items()}.get("retry-after")
    delay = retry_after_seconds(header)
    if delay is None:
        return Outcome.failed(
            f"429 after {sent} burst requests, but without a valid Retry-After (got {header!r})"
        )
    window = max(delay, 1.0)
    per_day = admitted * DAY / window
    text = (
        f"429 after {sent} burst requests with Retry-After {header}; about "
        f"{per_day:,.0f} queries a day per key (estimate)"
    )
    if extraction_queries and high_fidelity and per_day >= extraction_queries:
        days = extraction_queries / per_day
        return Outcome.failed(
            f"{text}; {cited}: one key gets there in {days * 24:.1f} h",
            severity=Severity.MEDIUM,
            severity_reason=f"a rate limit exists, but measured: {cited}",
        )
    if extraction_queries:
        cited += f": one key needs {extraction_queries / per_day:.1f} days"
    return Outcome.passed(text + (f"; {cited}" if cited else ""))


def check_rate_limit(ctx: CheckContext) -> Outcome:
    """DC24: a bounded burst meets 429 with Retry-After."""
    return run_probe(ctx, lambda s: _probe(ctx, s))


__all__ = ["check_rate_limit", "retry_after_seconds"]
