"""One evasion unit: run the attack on the model under test and keep its per-example outcome.

An adaptive unit computes its examples on a *view* of the model (BPDA, EOT, the undefended
baseline for transfer) and is scored on the model under test itself, against the true labels:
clean accuracy, robust accuracy, success and accuracy per class are measured again on the real
model, and what the view believed is kept beside them (``extra.view``).

The outcome artifact (``robust``: 1 where the example withstood the attack within its budget,
``x_adv``: the first few adversarial examples) is what worst case per budget, cascades and
paired tests across models are computed from.
"""

from __future__ import annotations

from typing import Any

import torch

from safedl.assess.units import Unit
from safedl.attacks.evasion.base import BOUND_TOLERANCE, EvasionAttack
from safedl.attacks.evasion.blackbox import BlackBoxAttack
from safedl.errors import PluginError
from safedl.evaluation.metrics import rate_of
from safedl.registry import ATTACKS


def run_evasion(unit: Unit, common: dict[str, Any]) -> dict[str, Any]:
    """The serialised :class:`~safedl.results.EvasionEntry` of one evasion unit."""
    attack = ATTACKS.create(unit.spec.name, unit.spec.params, seed=unit.settings.seed)
    if not isinstance(attack, EvasionAttack):
        raise PluginError(f"attack {unit.spec.name!r} is registered as evasion but is not one")
    target = unit.target
    if target.adapter is None and ATTACKS.get(unit.spec.name).access == "white-box":
        target.white_box()  # raises: a white-box attack needs the model itself
    if isinstance(attack, BlackBoxAttack) and attack.needs_scores(target.oracles):
        return {
            **common,
            "params": dict(unit.spec.params),
            "family": "evasion",
            "status": "not_applicable",
            "note": f"{unit.spec.name} needs confidence scores but {target.name} answers labels "
            "only; a decision-based attack (hopskipjump) measures this model",
        }
    data, bs = unit.data, unit.settings.batch_size
    attacked = target.view(unit.view) if unit.view else target.adapter
    result = attack.run(attacked, data, batch_size=bs, oracles=target.oracles)
    out: dict[str, Any] = {
        **common,
        **result.to_dict(),
        "family": "evasion",
        "status": "done",
        "minimum_norm": attack.minimum_norm,
    }
    if unit.view and result.examples is not None:
        out.update(_scored_on_model(unit, result.examples, out))
    if result.examples is not None:
        x_adv = result.examples
        robust = target.oracles(output="label", budget=None)(x_adv) == data.y
        if attack.minimum_norm:  # broken only within the budget
            delta = (x_adv - data.x).flatten(1)
            size = delta.abs().amax(1) if attack.config.norm == "linf" else delta.norm(dim=1)
            robust |= size > attack.config.eps + BOUND_TOLERANCE
        keep = unit.settings.keep_examples
        unit.settings.store.save_tensors(
            unit.key,
            {"x_adv": x_adv[:keep], "robust": robust.to(torch.uint8)},
            {"attack": unit.spec.name, "model": unit.target.name, "examples_kept": keep},
        )
        out["artifact"] = unit.key
    return out


def _scored_on_model(unit: Unit, x_adv: torch.Tensor, out: dict[str, Any]) -> dict[str, Any]:
    """Clean and robust accuracy, success and per-class accuracy measured on the real model."""
    if unit.spec.params.get("targeted"):
        raise PluginError("adaptive views are for untargeted attacks; drop targeted for them")
    label = unit.target.oracles(output="label", budget=None)
    y = unit.data.y
    clean_ok = label(unit.data.x) == y
    robust_ok = label(x_adv) == y
    per_class = {str(c): float(robust_ok[y == c].float().mean()) for c in torch.unique(y).tolist()}
    return {
        "clean_accuracy": rate_of(clean_ok).to_dict(),
        "robust_accuracy": rate_of(robust_ok).to_dict(),
        "attack_success_rate": rate_of(~robust_ok[clean_ok]).to_dict(),
        "per_class_robust_accuracy": per_class,
        "extra": {
            **out.get("extra", {}),
            "view": {
                "name": unit.view,
                "robust_accuracy_on_view": out["robust_accuracy"],
            },
        },
    }


__all__ = ["run_evasion"]
