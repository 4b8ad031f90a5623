"""Re-evaluate a defended model against membership inference, inversion and model stealing.

The baseline's finished privacy and extraction attacks run again on the defended model,
through its Oracles (an output defense answers labels, top-k or rounded scores) and with the
baseline's recipe (members, non-members, population and query pool are the same data). An
output defense removes what score-based attacks read, not the leakage, so against one the
attacks that need only labels are added as adaptive: label-only membership inference
(Choquette-Choo et al., ICML 2021) and hard-label Knockoff extraction. A score-based attack that
the defended model no longer answers is recorded as not applicable, never as a success.

Per threat the comparison is the worst case over the attacks on each model — the largest
membership AUC, inversion success or stolen-copy fidelity — before and after, with the
difference and its 95% interval (Newcombe's method for two independent proportions; AUC
intervals from each side's own interval).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from safedl.assess.units import AttackRequest
from safedl.config.profile import PluginSpec
from safedl.defenses.base import DefendedModel
from safedl.results import AttackEntry, ExtractionEntry, PrivacyEntry

#: Membership-inference attacks (family ``privacy``; the rest of the family is inversion).
MEMBERSHIP = frozenset({"loss_threshold", "shadow_models", "lira", "rmia", "label_only"})
#: Queries of the hard-label thief when the baseline ran no extraction attack.
DEFAULT_EXTRACTION_QUERIES = 1000


def _done(entries: Sequence[AttackEntry]) -> list[PrivacyEntry | ExtractionEntry]:
    return [
        e for e in entries if isinstance(e, PrivacyEntry | ExtractionEntry) and e.status == "done"
    ]


def privacy_requests(
    baseline_entries: Sequence[AttackEntry], defended: DefendedModel, *, recipe_known: bool
) -> tuple[list[AttackRequest], list[dict[str, Any]]]:
    """``(requests, skipped)``: the baseline's privacy and extraction attacks, and adaptive ones.

    Args:
        baseline_entries: What the baseline was attacked with.
        defended: The defended model (its declaration says whether the output changed).
        recipe_known: Whether the model's training data and recipe are known (membership
            inference and the thief's query pool need them).
    """
    done = _done(baseline_entries)
    output_defense = defended.adaptive.output != "scores"
    if not done and not output_defense:
        return [], []
    if not recipe_known:
        why = "needs the model's training data and recipe, which this re-evaluation lacks"
        return [], [{"attack": e.attack, "family": e.family, "why": why} for e in done]
    labels_only = defended.adaptive.output == "label"
    requests = []
    for e in done:
        params = dict(e.params)
        if labels_only and isinstance(e, ExtractionEntry) and params.get("labels") == "soft":
            requests.append(_hard_label_thief(params, defended))  # what the thief gets now
        else:
            requests.append(AttackRequest(PluginSpec(name=e.attack, params=params)))
    if output_defense:
        requests += _label_only_requests(done, defended, requests)
    return requests, []


def _hard_label_thief(params: dict[str, Any], defended: DefendedModel) -> AttackRequest:
    return AttackRequest(
        PluginSpec(name="knockoff", params={**params, "labels": "hard"}),
        adaptive=f"{defended.defense} returns {defended.adaptive.output}: a hard-label thief "
        "trains on the top-1 labels it still gives",
    )


def _label_only_requests(
    done: Sequence[PrivacyEntry | ExtractionEntry],
    defended: DefendedModel,
    planned: Sequence[AttackRequest],
) -> list[AttackRequest]:
    """Label-only membership inference and hard-label extraction, unless already planned."""
    out = []
    if not any(r.spec.name == "label_only" for r in planned):
        out.append(
            AttackRequest(
                PluginSpec(name="label_only", params={}),
                adaptive=f"{defended.defense} returns {defended.adaptive.output}: label-only "
                "membership inference needs only the top-1 label",
            )
        )
    hard = [
        r for r in planned if r.spec.name == "knockoff" and r.spec.params.get("labels") == "hard"
    ]
    if not hard:
        thieves = [e for e in done if isinstance(e, ExtractionEntry) and e.attack == "knockoff"]
        queries = max(
            (int(e.params.get("max_queries", 0)) for e in thieves),
            default=DEFAULT_EXTRACTION_QUERIES,
        )
        out.append(_hard_label_thief({"max_queries": queries}, defended))
    return out


def _metric(e: PrivacyEntry | ExtractionEntry) -> tuple[str, str, float, float, float] | None:
    """``(threat, metric, value, low, high)`` of one finished entry, when it has one."""
    if isinstance(e, ExtractionEntry):
        f = e.fidelity
        if f is None:
            return None
        if isinstance(f, float):
            return "model stealing", "fidelity", f, f, f
        return "model stealing", "fidelity", f.value, f.low, f.high
    if e.attack in MEMBERSHIP and e.auc is not None:
        ci = (e.model_extra or {}).get("auc_ci") or [e.auc, e.auc]
        return "membership inference", "auc", e.auc, float(ci[0]), float(ci[1])
    acc = (e.model_extra or {}).get("evaluator_accuracy")
    if isinstance(acc, dict) and "value" in acc:
        return "model inversion", "evaluator_accuracy", acc["value"], acc["low"], acc["high"]
    return None


def _worst(entries: Sequence[AttackEntry]) -> dict[str, dict[str, Any]]:
    """Per threat, the entry with the largest leakage metric."""
    out: dict[str, dict[str, Any]] = {}
    for e in _done(entries):
        m = _metric(e)
        if m is None:
            continue
        threat, metric, value, low, high = m
        if threat not in out or value > out[threat]["value"]:
            out[threat] = {
                "metric": metric,
                "value": value,
                "low": low,
                "high": high,
                "attack": e.label or e.attack,
                "unit": e.unit,
                "adaptive": e.adaptive,
            }
    return out


def difference_interval(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """``after − before`` with Newcombe's 95% interval from each side's own interval."""
    d = after["value"] - before["value"]
    low = d - math.hypot(after["value"] - after["low"], before["high"] - before["value"])
    high = d + math.hypot(after["high"] - after["value"], before["value"] - before["low"])
    return {
        "difference": d,
        "low": low,
        "high": high,
        "significant": low > 0 or high < 0,
    }


def privacy_comparison(
    baseline_entries: Sequence[AttackEntry], entries: Sequence[AttackEntry]
) -> list[dict[str, Any]]:
    """Per privacy or stealing threat: the worst case before and after, and the change."""
    before, after = _worst(baseline_entries), _worst(entries)
    rows = []
    for threat in sorted(before.keys() | after.keys()):
        b, a = before.get(threat), after.get(threat)
        row: dict[str, Any] = {"threat": threat, "baseline": b, "defended": a}
        if b is not None and a is not None:
            row["metric"] = b["metric"]
            row["change"] = difference_interval(b, a)
        else:
            row["metric"] = (b or a or {}).get("metric")
            row["change"] = None
        rows.append(row)
    return rows


__all__ = [
    "MEMBERSHIP",
    "difference_interval",
    "privacy_comparison",
    "privacy_requests",
]
