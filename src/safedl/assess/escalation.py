"""Escalation: when a validity check says gradients are blind, attack the way masking cannot fool.

A model whose input gradients vanish (VC01: quantised or saturated inputs, gradient masking)
makes every gradient attack of the plan look weaker than it is, so flagging alone would leave
an optimistic figure in the record. The attack stage therefore escalates on its own, per
budget of the plan: a gradient-free attack at AutoAttack's full budget (Square, 5 000
queries), a transfer attack from a surrogate, and — where the model declares a differentiable
approximation of its preprocessing (a ``bpda_module()`` method on its module, see
:meth:`~safedl.assess.target.ModelUnderTest.local`) — PGD-100 through it (BPDA). Each is an
ordinary unit on the whole evaluation set (stored, resumable), marked adaptive with the
reason, so the worst case per budget takes it in like any other attack.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from safedl.assess.units import AttackRequest
from safedl.assess.worst_case import budget_groups
from safedl.config.profile import PluginSpec
from safedl.registry import ATTACKS
from safedl.results import AttackEntry, Finding

#: Validity checks whose failure triggers the escalation.
ESCALATE_ON = ("VC01",)
#: Queries of the gradient-free attack (AutoAttack's standard Square budget).
FULL_QUERIES = 5000
#: Steps of PGD through the model's declared differentiable approximation.
BPDA_STEPS = 100


def triggers(findings: Sequence[Finding]) -> list[Finding]:
    """The failed model-level findings that call for an escalation."""
    return [f for f in findings if f.id in ESCALATE_ON and f.status == "fail"]


def escalation_requests(
    entries: Sequence[AttackEntry], views: dict[str, Any], reason: str
) -> list[AttackRequest]:
    """Per (norm, ε) of the finished norm-bounded attacks: Square-5000, transfer, BPDA."""
    out: list[AttackRequest] = []
    budgets = sorted({(norm, eps) for (_, norm, eps) in budget_groups(entries)})
    ran = {(e.attack, repr(sorted(e.params.items()))) for e in entries}
    for norm, eps in budgets:
        specs: list[tuple[PluginSpec, str | None, str]] = [
            (
                PluginSpec(
                    name="square", params={"eps": eps, "norm": norm, "max_queries": FULL_QUERIES}
                ),
                None,
                f"{reason}: gradient-free at AutoAttack's full budget ({FULL_QUERIES:,} queries)",
            ),
            (
                PluginSpec(name="transfer", params={"eps": eps, "norm": norm}),
                None,
                f"{reason}: transfer from a surrogate, which has no masked gradients",
            ),
        ]
        if "adaptive" in views:
            specs.append(
                (
                    PluginSpec(name="pgd", params={"eps": eps, "norm": norm, "steps": BPDA_STEPS}),
                    "adaptive",
                    f"{reason}: BPDA through the preprocessing the model declares",
                )
            )
        for spec, view, why in specs:
            full = ATTACKS.make_config(spec.name, spec.params).model_dump(mode="json")
            if view is None and (spec.name, repr(sorted(full.items()))) in ran:
                continue  # the plan already ran exactly this attack
            out.append(AttackRequest(spec, view=view, adaptive=why))
    return out


__all__ = ["BPDA_STEPS", "ESCALATE_ON", "FULL_QUERIES", "escalation_requests", "triggers"]
