"""Robustness curves: accuracy against ε for the plan's main attacks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from safedl.data import TensorData
from safedl.models import ModelAdapter
from safedl.registry import ATTACKS

#: Multiples of the plan's largest ε at which the curve is measured.
EPS_FACTORS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0)
CURVE_ATTACKS = ("fgsm", "pgd", "apgd_ce")


def curve_specs(plan: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One curve per (attack, norm) among the plan's main attacks, up to 2× its largest ε."""
    specs: dict[tuple[str, str], dict[str, Any]] = {}
    for spec in plan:
        name, params = spec["name"], dict(spec.get("params", {}))
        if name not in CURVE_ATTACKS or params.get("targeted"):
            continue
        norm = params.get("norm", "linf")
        current = specs.get((name, norm))
        if current is None or params.get("eps", 0.1) > current["params"].get("eps", 0.1):
            specs[(name, norm)] = {"name": name, "params": params}
    return list(specs.values())


def robustness_curve(
    model: ModelAdapter,
    data: TensorData,
    name: str,
    params: dict[str, Any],
    *,
    seed: int,
    batch_size: int = 256,
    factors: Sequence[float] = EPS_FACTORS,
) -> dict[str, Any]:
    """Accuracy (with 95% CI) of ``name`` at ε = factor × the plan's ε, for each factor."""
    top = float(getattr(ATTACKS.make_config(name, params), "eps", 0.1))
    points = []
    clean = None
    for factor in factors:
        eps = round(top * factor, 6)
        if eps == 0:
            acc = model.accuracy(data.x, data.y, batch_size=batch_size)
            clean = acc
            points.append({"eps": 0.0, "accuracy": acc, "low": acc, "high": acc})
            continue
        res = ATTACKS.create(name, {**params, "eps": eps}, seed=seed).run(
            model, data, batch_size=batch_size
        )
        r = res.robust_accuracy
        points.append({"eps": eps, "accuracy": r.value, "low": r.low, "high": r.high})
    return {
        "attack": name,
        "norm": params.get("norm", "linf"),
        "n": len(data),
        "clean_accuracy": clean,
        "points": points,
    }
