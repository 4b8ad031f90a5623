"""Recommendations: defenses for each risk, with the reason and the expected effect.

Each recommendation names the defenses that implement it; those registered in this
installation are listed as ``available`` (the ones a profile's ``defenses:`` can apply).
"""

from __future__ import annotations

from typing import Any

from safedl.registry import DEFENSES

#: attack family → (defense, defense kind, the registered defenses that implement it, why,
#: expected effect), best first within a family.
TABLE: dict[str, list[tuple[str, str, tuple[str, ...], str, str]]] = {
    "evasion": [
        (
            "adversarial training (PGD-AT, TRADES, fast AT)",
            "training",
            ("pgd_at", "trades", "fast_at"),
            "trains on worst-case examples inside the same ε-ball the attacks used",
            "robust accuracy at ε rises substantially; clean accuracy typically drops a few points",
        ),
        (
            "certified robustness (randomized smoothing)",
            "training",
            ("randomized_smoothing",),
            "a smoothed classifier's prediction provably holds inside a certified L2 radius",
            "certified accuracy at small radii; abstains on uncertain inputs",
        ),
        (
            "input-anomaly and query-pattern detection at inference",
            "detector",
            ("feature_squeezing", "query_similarity", "energy", "knn_distance"),
            "adversarial inputs and query-based attacks leave statistical traces",
            "raises the attacker's cost; must be re-evaluated with adaptive attacks",
        ),
    ],
    "backdoor": [
        (
            "training-data filtering (spectral signatures, activation clustering)",
            "data",
            ("spectral_signatures", "activation_clustering"),
            "poisoned samples separate from clean ones in the model's feature space",
            "removes most triggered samples before training; success rate falls",
        ),
        (
            "model repair (fine-pruning, Neural Cleanse, fine-tuning)",
            "repair",
            ("fine_pruning", "neural_cleanse", "fine_tuning"),
            "prunes or unlearns neurons the trigger relies on",
            "attack success drops with a small clean-accuracy cost",
        ),
        (
            "training on poisoned data without learning the backdoor (ABL)",
            "training",
            ("abl",),
            "backdoored samples are learned faster and can be isolated and unlearned",
            "attack success falls while the model trains on the poisoned set",
        ),
        (
            "triggered-input detection at inference (STRIP)",
            "detector",
            ("strip",),
            "a triggered input keeps its prediction when superimposed with clean images",
            "flags triggered inputs at a fixed false-rejection rate",
        ),
    ],
    "poisoning": [
        (
            "label-consistency filtering (deep k-NN) and data provenance",
            "data",
            ("knn_label_filter",),
            "flipped or poisoned samples disagree with their neighbours in feature space",
            "removes most flipped samples; the retrained model recovers accuracy",
        ),
        (
            "robust training on poisoned data (anti-backdoor learning)",
            "training",
            ("abl",),
            "poisoned or flipped samples have unusual losses",
            "smaller accuracy drop under the same poison budget",
        ),
    ],
    "privacy": [
        (
            "differentially private training (DP-SGD)",
            "training",
            ("dp_sgd",),
            "bounds what the model can reveal about any one training sample",
            "membership advantage falls towards zero; clean accuracy drops",
        ),
        (
            "output hardening (top-1 label or rounded scores)",
            "output",
            ("output_hardening",),
            "score-based inference attacks need confidences",
            "fewer signals per query; label-only attacks remain and are re-run",
        ),
    ],
    "extraction": [
        (
            "output hardening (top-1 label)",
            "output",
            ("output_hardening",),
            "probabilities leak more than labels",
            "the copy needs more queries; a hard-label thief is re-run against it",
        ),
        (
            "query rate limits and monitoring (PRADA)",
            "detector",
            ("prada",),
            "stealing needs many queries; synthetic query streams are detectable",
            "raises the cost of a faithful copy (PRADA is blind to natural-image queries)",
        ),
    ],
}


def recommend(risks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One recommendation per (risk family, defense), ordered by the worst risk it answers."""
    seen: dict[str, dict[str, Any]] = {}
    for risk in risks:
        for name, key, plugins, why, effect in TABLE.get(risk["family"], []):
            rec = seen.get(name)
            if rec is None:
                available = [p for p in plugins if p in DEFENSES]
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
