"""How an attack run relates to the threat model: inside it, a stress test, or outside it.

* **in_threat_model** — a threat of the model is simulated by the attack, and the attack uses
  no more access or budget than the attacker has;
* **stress_test** — it simulates a threat, but beyond the attacker model (a larger ε, more
  queries or poison, or more access than the attacker has): it informs, but never sets the
  posture by itself;
* **outside_threat_model** — no threat of the model is simulated by this attack: it is
  reported, not scored with assumed factors that would read like measurements;
* **no_threat_model** — the profile states none; scores then use assumed factors, said so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from safedl.registry import ATTACKS
from safedl.results.entries import Scope
from safedl.results.labels import NORMS, number
from safedl.threat.model import AttackerModel, ThreatAssessment

#: Tolerance on budget comparisons (ε written as 8/255 in one place and 0.0314 in another).
SLACK = 1.001


@dataclass(frozen=True)
class ScopeVerdict:
    """Where one attack run stands against the threat model, and why."""

    scope: Scope
    reason: str
    threat_ids: list[str] = field(default_factory=list)


def _access_gap(access: str | None, attacker: AttackerModel) -> str | None:
    """Why the attack uses more access than the attacker has, or None when it does not."""
    knowledge, output = attacker.knowledge, attacker.query_output
    if access == "white-box" and knowledge != "white-box":
        return f"it uses the model's gradients, but the attacker is {knowledge}"
    if access == "scores" and knowledge != "white-box" and output != "scores":
        return f"it reads scores, but the attacker's queries return {output}"
    if access == "labels" and knowledge != "white-box" and output == "none":
        return "it queries the model, but the attacker has no query access"
    if access == "training-data" and not (
        attacker.has("training_data_control") or attacker.has("label_control")
    ):
        return "it edits training data, but the attacker cannot reach the training data"
    return None


def _budget_gaps(params: dict[str, Any], attacker: AttackerModel) -> list[str]:
    b = attacker.budgets
    gaps = []
    norm = str(params.get("norm", "linf"))
    eps = params.get("eps")
    if isinstance(eps, int | float) and norm in b.eps and eps > b.eps[norm] * SLACK:
        gaps.append(
            f"ε = {number(eps)} exceeds the attacker's {NORMS.get(norm, norm)} budget "
            f"{number(b.eps[norm])}"
        )
    queries = params.get("max_queries")
    if isinstance(queries, int) and b.query_budget and queries > b.query_budget * SLACK:
        gaps.append(f"{number(queries)} queries exceed the attacker's {number(b.query_budget)}")
    fraction = params.get("poison_fraction", params.get("fraction"))
    if isinstance(fraction, int | float) and fraction > b.poison_fraction * SLACK:
        gaps.append(
            f"poisoning {100 * fraction:g}% of the training set exceeds the attacker's "
            f"{100 * b.poison_fraction:g}%"
        )
    return gaps


def classify(
    name: str, params: dict[str, Any], access: str | None, assessment: ThreatAssessment | None
) -> ScopeVerdict:
    """The scope of running attack ``name`` with ``params`` under ``assessment``."""
    if assessment is None:
        return ScopeVerdict("no_threat_model", "the profile states no threat model")
    linked = [t for t in assessment.threats if name in t.attacks]
    stand_in = False
    if not linked:
        # An attack of the same family as a threat's attacks (white-box PGD for a score-based
        # evasion threat) simulates that threat with other means: a stress test when it uses
        # more access or budget than the attacker has.
        family = ATTACKS.get(name).family if name in ATTACKS else None
        linked = [
            t
            for t in assessment.threats
            if family and any(a in ATTACKS and ATTACKS.get(a).family == family for a in t.attacks)
        ]
        stand_in = True
    if not linked:
        return ScopeVerdict(
            "outside_threat_model",
            f"no threat raised by the threat model is simulated by {name}: the attacker "
            "model does not call for it",
        )
    ids = [t.id for t in linked]
    gaps = _budget_gaps(params, assessment.attacker)
    access_gap = _access_gap(access, assessment.attacker)
    if access_gap:
        gaps.insert(0, access_gap)
    if gaps:
        return ScopeVerdict("stress_test", "beyond the attacker model: " + "; ".join(gaps), ids)
    if stand_in:
        return ScopeVerdict(
            "outside_threat_model",
            f"the threat model plans other attacks for {', '.join(ids)}; {name} is not one "
            "of them and uses no more than the attacker has, so it adds no planned evidence",
        )
    return ScopeVerdict("in_threat_model", f"simulates {', '.join(ids)} within its budget", ids)


def assessment_from_result(result: dict[str, Any] | None) -> ThreatAssessment | None:
    """The threat-model stage's result as a :class:`ThreatAssessment` (None when absent)."""
    if not result or "attacker" not in result:
        return None
    fields = ThreatAssessment.model_fields
    return ThreatAssessment.model_validate({k: v for k, v in result.items() if k in fields})


__all__ = ["ScopeVerdict", "assessment_from_result", "classify"]
