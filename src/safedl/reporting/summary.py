"""The executive summary: overall posture, top risks and next steps, in plain words."""

from __future__ import annotations

from typing import Any

POSTURE = {
    "critical": "Not ready to ship: at least one critical risk is measured.",
    "high": "At risk: high risks are measured and need mitigation before deployment.",
    "medium": "Moderate: measured risks are medium; mitigate the top ones and re-assess.",
    "low": "Low measured risk for the threats that were simulated.",
    "unknown": "Not assessed: no attack results to score yet.",
}
ORDER = ("low", "medium", "high", "critical")


def summarise(record: dict[str, Any]) -> dict[str, Any]:
    """Plain-language summary derived from the record's risk, attack and baseline results."""
    stages = record.get("stages", {})
    risk = stages.get("risk", {}).get("result", {})
    risks = risk.get("risks", [])
    attacks = stages.get("attacks", {}).get("result", {})
    baseline = stages.get("baseline", {}).get("result", {})
    worst = max((r["pessimistic_band"] for r in risks), key=ORDER.index, default="unknown")
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
    if attacks.get("reliable") is False:
        lines.append("Some evaluations failed validity checks: treat their numbers as optimistic.")
    top = [
        f"{r['attack']} (#{r['index']}): {r['rating']}, score {r['score']:.1f} "
        f"(pessimistic {r['pessimistic_score']:.1f}/10)"
        for r in risks[:3]
    ]
    steps = [
        f"{rec['defense']} — {rec['expected_effect']}"
        + ("" if rec["available"] else " (not yet available in Safe-DL)")
        for rec in risk.get("recommendations", [])[:3]
    ]
    if not risk.get("threat_model_used", True) or not stages.get("threat_model", {}).get("result"):
        steps.append("Add a threat model (safedl threat-model) so likelihoods are not assumed.")
    return {
        "posture": worst,
        "headline": POSTURE[worst],
        "findings": lines,
        "top_risks": top,
        "next_steps": steps,
    }
