"""DC16: the prediction route refuses requests without valid credentials.

Three requests: no credentials, a wrong key (expected: 401 or 403), and — with a key — the
right key (expected: 2xx, which proves the refusals were about the credentials and not
about the input). The image is a valid one when the input shape is known, else a 1×1×1
stand-in: a server that validates before it authenticates answers that with 422, and fails.
"""

from __future__ import annotations

from safedl.deploy.context import CheckContext
from safedl.deploy.probes.common import WRONG_KEY, run_probe
from safedl.deploy.probes.session import ProbeSession
from safedl.deploy.types import Outcome


def _describe(status: int | None, error: str) -> str:
    return str(status) if status is not None else f"no response ({error})"


def _probe(ctx: CheckContext, s: ProbeSession) -> Outcome:
    anonymous = s.predict("auth:none", auth=False)
    wrong = s.predict("auth:wrong-key", key=WRONG_KEY)
    good = s.predict("auth:good-key") if s.api_key else None
    details = (
        f"no credentials → {_describe(anonymous.status, anonymous.error)}",
        f"wrong key → {_describe(wrong.status, wrong.error)}",
    ) + ((f"valid key → {_describe(good.status, good.error)}",) if good else ())
    open_to = [
        name
        for name, ex in (("no credentials", anonymous), ("a wrong key", wrong))
        if ex.status is not None and ex.status < 400
    ]
    policy = ctx.evidence.query_policy() if ctx.evidence else None
    assumed = (
        f"; the threat model assumed query_access = {policy.query_access}"
        if policy and policy.query_access in ("internal", "customers", "none")
        else ""
    )
    if open_to:
        return Outcome.failed(
            f"POST /v1/predict answers {' and '.join(open_to)} with "
            f"{anonymous.status if open_to[0] == 'no credentials' else wrong.status}{assumed}",
            details=details,
        )
    if anonymous.status is None or wrong.status is None:
        return Outcome.skipped("no response to the unauthenticated requests", details=details)
    refused = {anonymous.status, wrong.status} <= {401, 403}
    if not refused:
        return Outcome.failed(
            f"unauthenticated requests get {anonymous.status} / {wrong.status}, not 401/403",
            details=details,
        )
    if good is not None and (
        good.status in (401, 403, None)
        or (s.input_shape is not None and not 200 <= (good.status or 0) < 300)
    ):
        return Outcome.skipped(
            f"refusals look right, but the valid key also gets {_describe(good.status, good.error)}"
            ": check --api-key-env",
            details=details,
        )
    suffix = "" if good else " (no API key given: the accepting side was not checked)"
    return Outcome.passed(
        f"no credentials → {anonymous.status}, wrong key → {wrong.status}{suffix}",
        details=details,
    )


def check_auth(ctx: CheckContext) -> Outcome:
    """DC16: unauthenticated requests are refused with 401 or 403."""
    return run_probe(ctx, lambda s: _probe(ctx, s))


__all__ = ["check_auth"]
