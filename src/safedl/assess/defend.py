"""Apply one defense outside a profile and re-evaluate it: what ``safedl defend`` does.

The model and data are named by specs as for ``safedl attack`` (trained once into the cache);
the baseline is attacked with PGD-20 at the budget (``--eps``/``--norm``; default: the usual
budget of the dataset's kind of image, as the threat model would set it), the defense is
applied (its artifact cached by content key) and the defended model is re-attacked with the
same attack plus the adaptive ones its declaration calls for (:mod:`safedl.assess.reevaluate`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import torch

from safedl.assess.reevaluate import Reevaluation, reevaluate
from safedl.assess.service import assess_model
from safedl.assess.standalone import CHECK_SAMPLES, Standalone, prepare
from safedl.assess.units import AssessSettings
from safedl.config.profile import PluginSpec
from safedl.defenses.base import DefendedModel, DefenseContext
from safedl.errors import ConfigError
from safedl.registry import DEFENSES
from safedl.results import AttackEntry, EvasionEntry, ExtractionEntry, PrivacyEntry
from safedl.threat.attacker import EPS_BY_MODALITY


def usual_budget(input_shape: tuple[int, int, int], norm: str) -> float:
    """The usual ε of a kind of image: small grayscale (≤ 32 px, one channel) or photos."""
    c, h, w = input_shape
    kind = "small_grayscale" if c == 1 and max(h, w) <= 32 else "natural"
    linf, l2 = EPS_BY_MODALITY[kind]
    return linf if norm == "linf" else l2


def defense_context(target: Standalone, settings: AssessSettings) -> DefenseContext:
    """The context a defense gets when it is applied outside a profile."""
    recipe = target.target.recipe
    if recipe is None:
        raise ConfigError("the model's training recipe is unknown; a defense needs it")
    model = target.model
    return DefenseContext(
        baseline=model,
        baseline_id=target.target.model_id,
        splits=target.splits,
        training=recipe.training,
        new_model=recipe.new_model,
        model_spec=recipe.model_spec,
        store=settings.store,
        seed=settings.seed,
        device=model.device,
        batch_size=settings.batch_size,
        baseline_train_seconds=(target.trained or {}).get("seconds"),
    )


@dataclass
class DefendReport:
    """One defense, applied and re-evaluated."""

    defended: DefendedModel
    baseline_entries: list[AttackEntry]
    reevaluation: Reevaluation
    trained: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        """``baseline`` and ``defended`` (clean and adaptive worst-case robust accuracy as
        fractions, with their intervals), ``attacks`` (adaptive ones marked), ``cost``."""
        rev = self.reevaluation
        budgets = rev.budgets
        worst = min(budgets, key=lambda b: b["robust_accuracy"]["value"]) if budgets else None

        def side(clean: dict[str, Any], robust: dict[str, Any] | None) -> dict[str, Any]:
            return {
                "clean_accuracy": clean["value"],
                "clean_accuracy_ci": clean,
                "robust_accuracy": None if robust is None else robust["value"],
                "robust_accuracy_ci": robust,
            }

        d = self.defended
        return {
            "defense": d.defense,
            "kind": d.kind,
            "params": d.params,
            "baseline": side(
                rev.clean["baseline"], worst["baseline_robust_accuracy"] if worst else None
            ),
            "defended": {
                **side(rev.clean["defended"], worst["robust_accuracy"] if worst else None),
                "model_id": d.model_id,
                "artifact": d.artifact,
                "non_adaptive_robust_accuracy": (
                    worst["non_adaptive_robust_accuracy"]["value"] if worst else None
                ),
            },
            "budgets": budgets,
            "clean_accuracy_change": rev.clean["change"],
            "attacks": [
                {
                    "attack": e.attack,
                    "label": e.label,
                    "params": e.params,
                    "adaptive": e.adaptive,
                    "why": e.adaptive_reason,
                    "view": e.view,
                    "n": e.n if isinstance(e, EvasionEntry) else None,
                    "status": e.status,
                    **_measured(e),
                }
                for e in rev.entries
            ],
            "privacy": rev.privacy,
            "mitigation_claim": rev.mitigation_claim,
            "validity": [f.model_dump(mode="json") for f in rev.validity],
            "cost": d.cost.to_dict(),
            "metrics": d.metrics,
            "adaptive_needs": rev.adaptive_needs,
            "model": {"trained": self.trained},
        }


def _measured(e: AttackEntry) -> dict[str, Any]:
    """What one entry measured: robust accuracy within the budget, AUC or fidelity."""
    if isinstance(e, EvasionEntry):
        robust = e.robust_accuracy.value if e.robust_accuracy is not None else None
        if e.minimum_norm:  # a minimum-norm attack's robust accuracy within its budget
            at_eps = e.extra.get("accuracy_at_eps")
            robust = at_eps.get("value") if isinstance(at_eps, dict) else robust
        return {"robust_accuracy": robust}
    if isinstance(e, PrivacyEntry):
        return {"auc": e.auc}
    if isinstance(e, ExtractionEntry):
        f = e.fidelity
        return {"fidelity": f if isinstance(f, float | None) else f.value, "queries": e.queries}
    return {}


def defend_spec(
    name: str,
    params: dict[str, Any],
    *,
    model: str = "small_cnn",
    data: str = "digits",
    weights: str | None = None,
    limit: int | None = None,
    seed: int = 0,
    device: str = "auto",
    epochs: int = 10,
    batch_size: int = 256,
    cache: str | Path = "runs/attack-cache",
    eps: float | None = None,
    norm: Literal["linf", "l2"] = "linf",
) -> DefendReport:
    """Apply defense ``name`` to the model named by specs and re-evaluate it (see the module)."""
    DEFENSES.make_config(name, params)
    target = prepare(
        model,
        data,
        weights=weights,
        limit=limit,
        seed=seed,
        device=device,
        epochs=epochs,
        cache=cache,
    )
    settings = AssessSettings(target.store, seed=seed, batch_size=batch_size)
    budget = eps if eps is not None else usual_budget(target.splits.input_shape, norm)
    defense = DEFENSES.create(name, params, seed=seed)
    plan = [PluginSpec(name="pgd", params={"eps": budget, "norm": norm, "steps": 20})]
    plan += [PluginSpec(name=a, params=dict(p)) for a, p in defense.evaluated_by]
    baseline_entries = assess_model(target.target, target.data, plan, settings)
    defended = defense.apply(defense_context(target, settings))
    check = target.data.subset(torch.arange(min(CHECK_SAMPLES, len(target.data))))
    rev = reevaluate(
        target.target,
        baseline_entries,
        defended,
        target.data,
        settings,
        name=name,
        check_data=check,
        dataset=data,
    )
    return DefendReport(defended, baseline_entries, rev, target.trained)


__all__ = ["DefendReport", "defend_spec", "defense_context", "usual_budget"]
