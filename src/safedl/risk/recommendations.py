"""Recommendations: defenses for each risk, with the reason and the expected effect.

Defense families are named until their plugins exist; a registered defense of the family is
named instead, marked available.
"""

from __future__ import annotations

from typing import Any

from safedl.registry import DEFENSES

#: attack family → (defense family, registry family key, why, expected effect)
TABLE: dict[str, list[tuple[str, str, str, str]]] = {
    "evasion": [
        (
            "adversarial training (PGD-AT)",
            "training",
            "trains on worst-case examples inside the same ε-ball the attacks used",
            "robust accuracy at ε rises substantially; clean accuracy typically drops a few points",
        ),
        (
            "input-anomaly detection at inference",
            "detector",
            "flags inputs whose statistics differ from the training data",
            "raises the attacker's cost; must be re-evaluated with adaptive attacks",
        ),
    ],
    "backdoor": [
        (
            "training-data filtering (spectral signatures, activation clustering)",
            "data",
            "poisoned samples separate from clean ones in the model's feature space",
            "removes most triggered samples before training; success rate falls",
        ),
        (
            "model repair (fine-pruning, Neural Cleanse)",
            "repair",
            "prunes or unlearns neurons the trigger relies on",
            "attack success drops with a small clean-accuracy cost",
        ),
    ],
    "poisoning": [
        (
            "data provenance and sanitisation",
            "data",
            "the attack needs write access to training data or labels",
            "limits who can inject samples; filtered samples no longer shift the model",
        ),
        (
            "robust training (loss-based filtering, label-noise-robust loss)",
            "training",
            "poisoned or flipped samples have unusual losses",
            "smaller accuracy drop under the same poison budget",
        ),
    ],
    "privacy": [
        (
            "differentially private training (DP-SGD)",
            "training",
            "bounds what the model can reveal about any one training sample",
            "membership advantage falls towards zero; clean accuracy drops",
        ),
        (
            "output hardening (top-1 label or rounded scores)",
            "output",
            "score-based inference attacks need confidences",
            "fewer signals per query",
        ),
    ],
    "extraction": [
        (
            "query rate limits and monitoring",
            "detector",
            "stealing needs many queries",
            "raises the cost of a faithful copy",
        ),
        (
            "output hardening (top-1 label)",
            "output",
            "probabilities leak more than labels",
            "the copy needs many more queries",
        ),
    ],
}


def recommend(risks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One recommendation per (risk family, defense), ordered by the worst risk it answers."""
    seen: dict[str, dict[str, Any]] = {}
    for risk in risks:
        for name, key, why, effect in TABLE.get(risk["family"], []):
            rec = seen.get(name)
            if rec is None:
                available = [d.name for d in DEFENSES if d.family == key]
                seen[name] = rec = {
                    "defense": name,
                    "family": key,
                    "reason": why,
                    "expected_effect": effect,
                    "available": available,
                    "risks": [],
                    "priority": risk["pessimistic_score"],
                }
            rec["risks"].append(f"{risk['attack']}#{risk['index']}")
    return sorted(seen.values(), key=lambda r: -r["priority"])
