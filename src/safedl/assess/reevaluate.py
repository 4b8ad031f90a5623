"""Re-evaluate a defended model as a real adversary would: the same plan, then adaptive attacks.

A defended model is attacked with the baseline's evasion plan through the same service, then,
per budget (norm, ε) of that plan, by adaptive attacks chosen from what the defense declares
(:class:`~safedl.defenses.base.AdaptiveNeeds`), each only on the examples still robust (a
per-sample cascade):

1. BPDA (straight through the non-differentiable step) or EOT (≥ 20 draws) — PGD-100 on the
   defense's attack view (:func:`safedl.attacks.evasion.adaptive.attack_view`), when the
   defense is non-differentiable or randomised;
2. transfer from the undefended baseline — PGD-20 computed on the baseline, scored on the
   defended model;
3. a gradient-free attack at AutoAttack's full budget — Square with 5 000 queries, or, when an
   output defense leaves only labels, the decision-based HopSkipJump at the same budget.

Every adaptive example is scored on the real defended model against the true labels. The
defended robust accuracy is the per-example worst case over the plan and the adaptive attacks;
the plan's figure alone is kept, labelled *non-adaptive*, never as the result. A budget whose
non-adaptive figure is more than a few points above the adaptive one is called out: the
defense only holds against attacks that do not adapt to it.

The baseline's privacy and extraction attacks run again too, with the label-only ones an
output defense calls for (:mod:`safedl.assess.reevaluate_privacy`); an output defense's
mitigation claim is checked against the rule that those must have run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from safedl.assess.reevaluate_privacy import privacy_comparison, privacy_requests
from safedl.assess.service import assess_model
from safedl.assess.target import ModelUnderTest
from safedl.assess.units import AssessSettings, AttackRequest
from safedl.assess.validity import run_checks
from safedl.assess.worst_case import budget_groups, outcome
from safedl.attacks.evasion.adaptive import attack_view
from safedl.config.profile import PluginSpec
from safedl.data import TensorData
from safedl.defenses.base import DefendedModel
from safedl.defenses.output.hardening import mitigation_claim
from safedl.evaluation.metrics import rate_of
from safedl.evaluation.paired import paired_difference
from safedl.models import local_oracles
from safedl.results import AttackEntry, EvasionEntry, Finding, PoisoningEntry
from safedl.threat.model import ThreatAssessment

#: Queries of the gradient-free adaptive attack (AutoAttack's standard Square budget), and of
#: the decision-based one that replaces it when only labels are answered.
SQUARE_QUERIES = 5000
#: Steps of PGD through a BPDA or EOT view (they converge more slowly than plain PGD).
ADAPTIVE_STEPS = 100
#: Points by which the non-adaptive figure may exceed the adaptive one before it is called out.
MASKING_MARGIN = 0.03

Budget = tuple[str, float]


@dataclass
class Reevaluation:
    """What re-attacking one defended model found."""

    defense: str
    model: str
    model_id: str
    entries: list[AttackEntry]
    validity: list[Finding]
    budgets: list[dict[str, Any]]
    clean: dict[str, Any]
    adaptive_needs: dict[str, Any]
    skipped: list[dict[str, Any]] = field(default_factory=list)
    privacy: list[dict[str, Any]] = field(default_factory=list)
    mitigation_claim: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "defense": self.defense,
            "model": self.model,
            "model_id": self.model_id,
            "attacks": [e.model_dump(mode="json") for e in self.entries],
            "validity": [f.model_dump(mode="json") for f in self.validity],
            "budgets": self.budgets,
            "clean": self.clean,
            "adaptive_needs": self.adaptive_needs,
            "skipped": self.skipped,
            "privacy": self.privacy,
            "mitigation_claim": self.mitigation_claim,
        }


def defended_target(defended: DefendedModel, baseline: ModelUnderTest, name: str) -> ModelUnderTest:
    """The defended model as a model under test, with its adaptive views and Oracles."""
    views = {"baseline": baseline.white_box()}
    view, kind = attack_view(defended)
    if kind != "plain":
        views["adaptive"] = view
    return ModelUnderTest(
        name=name,
        model_id=defended.model_id,
        adapter=defended.model,
        oracles=defended.oracles or local_oracles(defended.model),
        recipe=baseline.recipe,
        views=views,
    )


def budgets_of(entries: Sequence[AttackEntry]) -> list[Budget]:
    """The (norm, ε) budgets of the finished, untargeted, norm-bounded evasion entries."""
    out: list[Budget] = []
    for (_, norm, eps), members in budget_groups(entries).items():
        if (
            any(not e.minimum_norm and "eps" in e.params for e in members)
            and (norm, eps) not in out
        ):
            out.append((norm, eps))
    return out


def _robust(store: Any, entries: Sequence[AttackEntry], budget: Budget, n: int) -> torch.Tensor:
    """Per-example worst case over the full-data entries at ``budget`` (all True if none)."""
    robust = torch.ones(n, dtype=torch.bool)
    for (_, norm, eps), members in budget_groups(entries).items():
        if (norm, eps) == budget:
            for e in members:
                if e.n == n:
                    robust &= outcome(store, e)
    return robust


def adaptive_requests(
    defended: DefendedModel, budget: Budget, views: dict[str, Any]
) -> list[AttackRequest]:
    """The adaptive attacks for one budget, in cascade order (see the module docstring)."""
    norm, eps = budget
    needs = defended.adaptive
    out = []
    if "adaptive" in views:
        why = []
        if not needs.differentiable:
            why.append(f"BPDA through {defended.defense}'s non-differentiable step")
        if needs.randomized:
            why.append(f"EOT over {max(needs.eot_samples, 20)} draws of its randomness")
        out.append(
            AttackRequest(
                PluginSpec(name="pgd", params={"eps": eps, "norm": norm, "steps": ADAPTIVE_STEPS}),
                view="adaptive",
                adaptive="; ".join(why),
            )
        )
    out.append(
        AttackRequest(
            PluginSpec(name="pgd", params={"eps": eps, "norm": norm, "steps": 20}),
            view="baseline",
            adaptive="transfer from the undefended baseline (PGD-20 on it, scored here)",
        )
    )
    if needs.output == "label":
        out.append(
            AttackRequest(
                PluginSpec(
                    name="hopskipjump",
                    params={"eps": eps, "norm": norm, "max_queries": SQUARE_QUERIES},
                ),
                adaptive=f"{defended.defense} answers labels only: decision-based HopSkipJump "
                f"({SQUARE_QUERIES:,} queries) instead of a score-based attack",
            )
        )
        return out
    out.append(
        AttackRequest(
            PluginSpec(
                name="square", params={"eps": eps, "norm": norm, "max_queries": SQUARE_QUERIES}
            ),
            adaptive=f"gradient-free at AutoAttack's full budget ({SQUARE_QUERIES:,} queries)",
        )
    )
    return out


def reevaluate(
    baseline: ModelUnderTest,
    baseline_entries: Sequence[AttackEntry],
    defended: DefendedModel,
    data: TensorData,
    settings: AssessSettings,
    *,
    name: str,
    threat: ThreatAssessment | None = None,
    check_data: TensorData | None = None,
    dataset: str | None = None,
) -> Reevaluation:
    """Re-attack ``defended`` with the baseline's evasion plan plus adaptive attacks."""
    target = defended_target(defended, baseline, name)
    plan: list[PluginSpec | AttackRequest] = [
        PluginSpec(name=e.attack, params=dict(e.params))
        for e in baseline_entries
        if e.status == "done" and isinstance(e, EvasionEntry)
    ]
    more, skipped = privacy_requests(
        baseline_entries, defended, recipe_known=baseline.recipe is not None
    )
    plan += more
    skipped += [
        {
            "attack": e.attack,
            "family": e.family,
            "why": "poisoning is answered by the poisoning defenses, measured against the "
            "run's poisoned victims (not re-run on this defense)",
        }
        for e in baseline_entries
        if e.status == "done" and isinstance(e, PoisoningEntry)
    ]
    entries: list[AttackEntry] = list(assess_model(target, data, plan, settings, threat=threat))
    n = len(data)
    budgets = []
    for budget in budgets_of(baseline_entries):
        base_robust = _robust(settings.store, baseline_entries, budget, n)
        plain = _robust(settings.store, entries, budget, n)
        robust = plain.clone()
        cascade = []
        for req in adaptive_requests(defended, budget, target.views):
            idx = robust.nonzero().squeeze(1)
            if len(idx) == 0:
                cascade.append({"attack": req.spec.name, "adaptive": req.adaptive, "ran_on": 0})
                continue
            (entry,) = assess_model(target, data.subset(idx), [req], settings, threat=threat)
            entries.append(entry)
            if isinstance(entry, EvasionEntry) and entry.artifact:
                broken = idx[~outcome(settings.store, entry)]
                robust[broken] = False
            cascade.append(
                {
                    "attack": req.spec.name,
                    "adaptive": req.adaptive,
                    "view": req.view,
                    "ran_on": len(idx),
                    "robust_after": int(robust.sum()),
                    "unit": entry.unit,
                }
            )
        non_adaptive, adaptive = rate_of(plain), rate_of(robust)
        budgets.append(
            {
                "norm": budget[0],
                "eps": budget[1],
                "baseline_robust_accuracy": rate_of(base_robust).to_dict(),
                "non_adaptive_robust_accuracy": non_adaptive.to_dict(),
                "robust_accuracy": adaptive.to_dict(),
                "mitigation": paired_difference(base_robust, robust),
                "holds_only_without_adaptive_attacks": non_adaptive.value
                > adaptive.value + MASKING_MARGIN,
                "cascade": cascade,
            }
        )
    label = target.oracles(output="label", budget=None)
    base_label = baseline.oracles(output="label", budget=None)
    base_ok, ok = base_label(data.x) == data.y, label(data.x) == data.y
    clean = {
        "baseline": rate_of(base_ok).to_dict(),
        "defended": rate_of(ok).to_dict(),
        "change": paired_difference(base_ok, ok),
    }
    validity: list[Finding] = []
    if check_data is not None:
        validity = run_checks(
            defended.model,
            check_data,
            entries,
            seed=settings.seed,
            batch_size=settings.batch_size,
            level="basic",
            name=name,
            dataset=dataset,
        )
    needs = defended.adaptive
    claim = None
    if needs.output != "scores":
        claim = mitigation_claim(defended.model_id, [e.model_dump(mode="json") for e in entries])
    return Reevaluation(
        defense=defended.defense,
        model=name,
        model_id=defended.model_id,
        entries=entries,
        validity=validity,
        budgets=budgets,
        clean=clean,
        adaptive_needs={
            "differentiable": needs.differentiable,
            "randomized": needs.randomized,
            "eot_samples": needs.eot_samples,
            "detector": needs.detector,
            "output": needs.output,
        },
        skipped=skipped,
        privacy=privacy_comparison(baseline_entries, entries),
        mitigation_claim=claim,
    )


__all__ = ["Reevaluation", "adaptive_requests", "budgets_of", "defended_target", "reevaluate"]
