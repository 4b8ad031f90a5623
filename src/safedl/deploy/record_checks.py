"""DC25: the threats the run's threat model ranks high or critical were tested.

A threat counts as tested when an attack planned for it finished (status ``done``) in the
record. Threats that attack simulation cannot test are named with the deployment checks
that cover them instead.
"""

from __future__ import annotations

from safedl.deploy.context import CheckContext
from safedl.deploy.types import Outcome

#: Threats no attack simulates, and the checks of this table that address them.
COVERED_BY_CHECKS: dict[str, str] = {
    "supply-chain": "DC01, DC02, DC04, DC05, DC10",
    "denial-of-service": "DC18, DC24",
    "weight-theft": "DC06, DC13, DC29",
    "output-integrity": "DC22",
    "feedback-skewing": "DC27",
}


def check_threat_coverage(ctx: CheckContext) -> Outcome:
    """DC25: every high/critical threat that attacks can simulate has a finished result."""
    ev = ctx.evidence
    if ev is None:
        return Outcome.skipped("no --run given")
    if not ev.has_threat_model():
        return Outcome.skipped("the run has no threat model (profile without threat_model)")
    severe = [t for t in ev.threats() if t.level in ("high", "critical")]
    if not severe:
        return Outcome.passed("no threat is ranked high or critical")
    done = {a.attack for a in ev.attacks() if a.done}
    plan = ev.plan()
    untested, tested, by_checks = [], [], []
    for threat in severe:
        planned = [p for p in plan if threat.id in p.threat_ids]
        if not planned:
            covered = COVERED_BY_CHECKS.get(threat.id, "manual review")
            by_checks.append(f"{threat.id} ({threat.level}): not simulated; covered by {covered}")
            continue
        ran = sorted({p.name for p in planned if p.name in done})
        if ran:
            tested.append(f"{threat.id} ({threat.level}): {', '.join(ran)}")
        else:
            why = (
                "; ".join(
                    f"{p.name}: {p.reason or p.status}" for p in planned if p.status != "available"
                )
                or "planned attacks did not run"
            )
            untested.append(f"{threat.id} ({threat.level}): {why}")
    details = tuple(untested + tested + by_checks)
    if untested:
        return Outcome.failed(
            f"{len(untested)} of {len(severe)} high/critical threat(s) untested: "
            + ", ".join(u.split(":")[0] for u in untested),
            details=details,
        )
    return Outcome.passed(
        f"{len(tested)} high/critical threat(s) tested"
        + (f", {len(by_checks)} covered by deployment checks" if by_checks else ""),
        details=details,
    )


__all__ = ["COVERED_BY_CHECKS", "check_threat_coverage"]
