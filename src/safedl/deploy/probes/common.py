"""Helpers shared by the probes: the session a check needs, and budget handling."""

from __future__ import annotations

from collections.abc import Callable

from safedl.deploy.context import CheckContext
from safedl.deploy.probes.session import BudgetExhausted, ProbeSession
from safedl.deploy.types import Outcome

WRONG_KEY = "safedl-probe-wrong-key"


def run_probe(ctx: CheckContext, probe: Callable[[ProbeSession], Outcome]) -> Outcome:
    """Run ``probe`` with the session; a spent budget becomes a skip that says so."""
    if ctx.probe is None:
        return Outcome.skipped("no --url given: endpoint probes not run")
    try:
        return probe(ctx.probe)
    except BudgetExhausted as exc:
        return Outcome.skipped(
            f"the probe budget ({exc}) was spent before this probe finished; raise "
            "probe.max_requests / probe.max_seconds"
        )


def needs_key(session: ProbeSession) -> Outcome | None:
    """A skip when authenticated probes cannot run for lack of an API key."""
    if session.api_key:
        return None
    return Outcome.skipped(
        "no API key: give --api-key-env NAME (the variable holding the key) to run this probe"
    )


def needs_shape(session: ProbeSession) -> Outcome | None:
    if session.input_shape is not None:
        return None
    return Outcome.skipped(
        "input shape unknown: pass --run RUN_DIR, set probe.input_shape, or report input_shape "
        "from GET /v1/model"
    )


__all__ = ["WRONG_KEY", "needs_key", "needs_shape", "run_probe"]
