"""Robustness curves: accuracy against ε for the plan's main attacks (or the ones asked for).

Each point is an ordinary unit of :func:`~safedl.assess.assess_model` (stored, resumable,
labelled with its scope), so the points beyond the attacker's budget read as stress tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from safedl.assess.service import assess_model
from safedl.assess.target import ModelUnderTest
from safedl.assess.units import AssessSettings
from safedl.config.profile import PluginSpec
from safedl.data import TensorData
from safedl.registry import ATTACKS
from safedl.results import EvasionEntry
from safedl.threat.model import ThreatAssessment

#: Multiples of the curve's largest ε at which accuracy is measured.
EPS_FACTORS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0)
CURVE_ATTACKS = ("fgsm", "pgd", "apgd_ce")


def curve_specs(plan: Sequence[PluginSpec]) -> list[PluginSpec]:
    """One curve per (attack, norm) among the plan's main attacks, up to 2× its largest ε."""
    specs: dict[tuple[str, str], PluginSpec] = {}
    for spec in plan:
        params = dict(spec.params)
        if spec.name not in CURVE_ATTACKS or params.get("targeted"):
            continue
        norm = params.get("norm", "linf")
        current = specs.get((spec.name, norm))
        if current is None or params.get("eps", 0.1) > current.params.get("eps", 0.1):
            specs[(spec.name, norm)] = spec
    return list(specs.values())


def robustness_curve(
    target: ModelUnderTest,
    data: TensorData,
    spec: PluginSpec,
    settings: AssessSettings,
    *,
    threat: ThreatAssessment | None = None,
    factors: Sequence[float] = EPS_FACTORS,
) -> dict[str, Any]:
    """Accuracy (with 95% CI) of ``spec`` at ε = factor × its ε, for each factor."""
    params = dict(spec.params)
    top = float(getattr(ATTACKS.make_config(spec.name, params), "eps", 0.1))
    ladder = [round(top * f, 6) for f in factors if round(top * f, 6) > 0]
    plan = [PluginSpec(name=spec.name, params={**params, "eps": eps}) for eps in ladder]
    entries = assess_model(target, data, plan, settings, threat=threat)
    clean = None
    points = []
    for entry in entries:
        if not isinstance(entry, EvasionEntry) or entry.robust_accuracy is None:
            continue
        r = entry.robust_accuracy
        if clean is None and entry.clean_accuracy is not None:
            clean = entry.clean_accuracy.value
        points.append(
            {
                "eps": float(entry.params["eps"]),
                "accuracy": r.value,
                "low": r.low,
                "high": r.high,
                "scope": entry.scope,
                "unit": entry.unit,
            }
        )
    if clean is not None and any(f == 0 for f in factors):
        points.insert(0, {"eps": 0.0, "accuracy": clean, "low": clean, "high": clean})
    return {
        "attack": spec.name,
        "model": target.name,
        "norm": params.get("norm", "linf"),
        "n": len(data),
        "clean_accuracy": clean,
        "points": points,
        "stress_test_from": next(
            (p["eps"] for p in points if p.get("scope") == "stress_test"), None
        ),
    }


__all__ = ["CURVE_ATTACKS", "EPS_FACTORS", "curve_specs", "robustness_curve"]
