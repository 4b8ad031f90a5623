"""The executive summary: overall posture, what was not tested, top risks and next steps."""

from __future__ import annotations

from typing import Any

from safedl.results import Finding, unreliable_because
from safedl.risk import headline
from safedl.risk.verdict import POSTURE

SCOPE_WORDS = {
    "in_threat_model": "in the threat model",
    "stress_test": "stress test",
    "outside_threat_model": "outside the threat model",
    "no_threat_model": "no threat model",
}


def annotate(attacks: dict[str, Any]) -> list[dict[str, Any]]:
    """The attack entries, each with ``reliable`` and ``unreliable_because`` derived from the
    validity findings (the record keeps the findings apart from the results they concern)."""
    findings = [Finding.model_validate(f) for f in attacks.get("validity", [])]
    out = []
    for a in attacks.get("attacks", []):
        failed = unreliable_because(
            a.get("unit"), a.get("family", "evasion"), a.get("model", "baseline"), findings
        )
        out.append({**a, "reliable": not failed, "unreliable_because": failed})
    return out


def unreliable(attacks: dict[str, Any]) -> list[dict[str, Any]]:
    """The finished attack entries a failed validity check concerns."""
    return [a for a in annotate(attacks) if a.get("status") == "done" and not a["reliable"]]


def summarise(record: dict[str, Any]) -> dict[str, Any]:
    """Plain-language summary derived from the record's risk, attack and baseline results."""
    stages = record.get("stages", {})
    risk = stages.get("risk", {}).get("result", {})
    risks = risk.get("risks", [])
    attacks = stages.get("attacks", {}).get("result", {})
    baseline = stages.get("baseline", {}).get("result", {})
    verdict = risk.get("verdict") or {
        "posture": "unknown",
        "complete": True,
        "headline": POSTURE["unknown"],
        "untested": [],
    }
    lines = []
    if baseline.get("test_accuracy"):
        acc = baseline["test_accuracy"]
        lines.append(f"The model reaches {100 * acc['value']:.1f}% clean test accuracy.")
    for w in attacks.get("worst_case", []):
        ra = w["robust_accuracy"]
        lines.append(
            f"Within the {w['norm']} budget ε = {w['eps']:g}, the strongest attacks leave "
            f"{100 * ra['value']:.1f}% accuracy (95% CI {100 * ra['low']:.1f}–"
            f"{100 * ra['high']:.1f}%)."
        )
    if unreliable(attacks):
        lines.append("Some evaluations failed validity checks: treat their numbers as optimistic.")
    stress = [r for r in risks if r.get("scope") == "stress_test"]
    if stress:
        lines.append(
            f"{len(stress)} attack(s) are stress tests beyond the attacker model: they inform "
            "but do not set the posture."
        )
    if risk.get("not_scored"):
        lines.append(
            f"{len(risk['not_scored'])} attack(s) lie outside the threat model and are "
            "reported without a score."
        )
    counted = [r for r in risks if r.get("scope") != "stress_test"] or risks
    top = [headline(r) for r in counted[:3]]
    steps = [
        f"Test the untested threat {t['title']} ({t['level']}): {t['why']}."
        for t in verdict.get("untested", [])
    ]
    steps += [
        f"{rec['defense']} — {rec['expected_effect']}"
        + ("" if rec["available"] else " (not yet available in Safe-DL)")
        for rec in risk.get("recommendations", [])[:3]
    ]
    if not risk.get("threat_model_used", True) or not stages.get("threat_model", {}).get("result"):
        steps.append("Add a threat model (safedl threat-model) so likelihoods are not assumed.")
    posture = verdict["posture"] if verdict.get("complete", True) else "incomplete"
    return {
        "posture": posture,
        "measured_posture": verdict["posture"],
        "complete": verdict.get("complete", True),
        "headline": verdict["headline"],
        "untested": verdict.get("untested", []),
        "findings": lines,
        "top_risks": top,
        "next_steps": steps,
    }
