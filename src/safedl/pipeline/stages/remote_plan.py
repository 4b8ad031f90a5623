"""Which attacks of a plan can run against a served target, and why the others cannot.

A profile's ``target`` is reachable only through its endpoint's queries. White-box attacks
need the model itself; poisoning and backdoor attacks train a victim on edited data, which a
served model's training is outside of; membership inference needs to know the served model's
members, which holds only when the profile says it was trained on the dataset's training split
(``target.trained_on_dataset``). Score- and label-based evasion, extraction and inversion run.
"""

from __future__ import annotations

from safedl.attacks.privacy.base import MembershipAttack
from safedl.config.profile import PluginSpec, Profile
from safedl.pipeline.results import LeftOut
from safedl.registry import ATTACKS
from safedl.threat.model import ThreatAssessment

WHITE_BOX = "needs the model itself (white-box); the target is reachable only through queries"
TRAINING = (
    "simulates training on poisoned data; the served model's training is outside this run "
    "(assess poisoning where the model is trained)"
)
MEMBERS = (
    "needs the served model's members; set target.trained_on_dataset: true when it was "
    "trained on this dataset's training split"
)


def why_not_remote(spec: PluginSpec, profile: Profile) -> str | None:
    """Why ``spec`` cannot run against the profile's target, or None when it can."""
    info = ATTACKS.get(spec.name)
    if info.access == "white-box":
        return WHITE_BOX
    if info.access == "training-data":
        return TRAINING
    target = profile.target
    if issubclass(info.cls, MembershipAttack) and not (target and target.trained_on_dataset):
        return MEMBERS
    return None


def remote_plan(
    plan: list[PluginSpec], profile: Profile, threat: ThreatAssessment | None = None
) -> tuple[list[PluginSpec], list[LeftOut]]:
    """``(runnable, left_out)``: the plan split by what a served target allows."""
    threats = {
        (p.name, repr(sorted(p.params.items()))): p.threat_ids
        for p in (threat.plan if threat is not None else [])
    }
    runnable, left_out = [], []
    for spec in plan:
        why = why_not_remote(spec, profile)
        if why is None:
            runnable.append(spec)
            continue
        ids = threats.get((spec.name, repr(sorted(spec.params.items()))), [])
        left_out.append(LeftOut(name=spec.name, params=dict(spec.params), threat_ids=ids, why=why))
    return runnable, left_out


__all__ = ["remote_plan", "why_not_remote"]
