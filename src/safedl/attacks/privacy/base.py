"""Shared machinery of membership inference: validation, seeding, timing, queries, metrics.

A plugin subclasses :class:`MembershipAttack` and implements :meth:`MembershipAttack.infer`
(one membership score per candidate, higher meaning "member") and, when it needs shadow or
reference models, :meth:`MembershipAttack.prepare`. The base asks the target's Oracle factory
for the access the attack needs (scores or labels, within the query budget), refuses to run a
score-based attack on a model that only answers labels (the result says so, and which attack
does apply), and measures the scores over the balanced member / non-member sets: ROC AUC with
its interval, balanced accuracy, TPR at 1% and 0.1% FPR (each with its Wilson interval, or
"too few" without enough non-members), a downsampled ROC curve and the AUC per class.
"""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

import torch
from torch import Tensor

from safedl.attacks.privacy.target import PrivacyTarget
from safedl.data import TensorData
from safedl.evaluation.metrics import Rate
from safedl.evaluation.roc import (
    RocCurve,
    auc_interval,
    balanced_accuracy,
    best_balanced_accuracy,
    downsample,
    roc_auc,
    roc_curve,
    tpr_at_fpr,
)
from safedl.models import Oracle, OracleFactory, QueryBudgetExceeded
from safedl.models.oracle import OracleOutput
from safedl.registry import PluginConfig

log = logging.getLogger(__name__)

#: False-positive rates at which the TPR is reported (keys of ``tpr_at_fpr``).
FPRS: tuple[float, ...] = (0.01, 0.001)


@dataclass
class PrivacyResult:
    """Metrics of one membership inference attack on one model.

    ``status`` is ``"done"``, ``"not_applicable"`` (the model does not grant the access the
    attack needs; ``note`` says which attack applies) or ``"over_budget"`` (the query budget ran
    out; ``note`` says how many queries the attack needed). Metric fields are ``None`` unless
    the status is ``"done"``.
    """

    attack: str
    params: dict[str, Any]
    members: int
    non_members: int
    queries: int
    seconds: float
    status: str = "done"
    family: str = "privacy"
    note: str = ""
    model_id: str = ""
    auc: float | None = None
    auc_ci: tuple[float, float] | None = None
    balanced_accuracy: Rate | None = None
    #: ``"attack threshold"`` (fixed by the attack without looking at membership) or
    #: ``"best threshold"`` (the best over the curve: optimistic, in-sample).
    balanced_accuracy_rule: str = ""
    threshold: float | None = None
    tpr_at_fpr: dict[str, dict[str, Any]] = field(default_factory=dict)
    roc: list[list[float]] = field(default_factory=list)
    per_class: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Attack-specific figures (shadow training, oracle output seen, ...).
    extra: dict[str, Any] = field(default_factory=dict)
    #: Scores in the order members then non-members (CPU); not serialised.
    scores: Tensor | None = field(default=None, repr=False)
    is_member: Tensor | None = field(default=None, repr=False)

    def curve(self) -> RocCurve:
        """The full ROC curve (needs the scores, so only on a result computed in this run)."""
        if self.scores is None or self.is_member is None:
            raise ValueError(f"{self.attack}: this result has no scores (status {self.status})")
        return roc_curve(self.scores, self.is_member)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable entry for the run record."""
        return {
            "family": self.family,
            "attack": self.attack,
            "params": self.params,
            "status": self.status,
            "note": self.note,
            "model_id": self.model_id,
            "auc": self.auc,
            "auc_ci": list(self.auc_ci) if self.auc_ci is not None else None,
            "balanced_accuracy": (
                self.balanced_accuracy.to_dict() if self.balanced_accuracy is not None else None
            ),
            "balanced_accuracy_rule": self.balanced_accuracy_rule,
            "threshold": self.threshold,
            "tpr_at_fpr": self.tpr_at_fpr,
            "members": self.members,
            "non_members": self.non_members,
            "queries": self.queries,
            "seconds": self.seconds,
            "roc": self.roc,
            "per_class": self.per_class,
            "extra": self.extra,
        }


def per_class_leakage(
    scores: Tensor, is_member: Tensor, labels: Tensor, classes: list[str] | None
) -> dict[str, dict[str, Any]]:
    """AUC of ``scores`` within each true class (``None`` where a class lacks a group)."""
    out: dict[str, dict[str, Any]] = {}
    for c in torch.unique(labels).tolist():
        sel = labels == c
        m, nm = int(is_member[sel].sum()), int((~is_member[sel]).sum())
        name = classes[c] if classes is not None and c < len(classes) else str(c)
        auc = roc_auc(scores[sel], is_member[sel]) if m and nm else None
        out[name] = {"auc": auc, "members": m, "non_members": nm}
    return out


def measure(
    scores: Tensor,
    is_member: Tensor,
    labels: Tensor,
    threshold: float | None,
    classes: list[str] | None = None,
) -> dict[str, Any]:
    """Every metric of a membership score over balanced sets (fields of :class:`PrivacyResult`)."""
    curve = roc_curve(scores, is_member)
    auc = roc_auc(scores, is_member)
    if threshold is not None:
        bal = balanced_accuracy(scores >= threshold, is_member)
        rule, thr = "attack threshold", threshold
    else:
        bal, thr = best_balanced_accuracy(curve)
        rule = "best threshold"
    return {
        "auc": auc,
        "auc_ci": auc_interval(auc, curve.positives, curve.negatives),
        "balanced_accuracy": bal,
        "balanced_accuracy_rule": rule,
        "threshold": thr,
        "tpr_at_fpr": {str(f): tpr_at_fpr(curve, f) for f in FPRS},
        "roc": downsample(curve),
        "per_class": per_class_leakage(scores, is_member, labels, classes),
    }


class MembershipAttack(ABC):
    """Base class of membership inference attacks: :meth:`infer` (and :meth:`prepare`)."""

    Config: ClassVar[type[PluginConfig]] = PluginConfig
    plugin_name: ClassVar[str] = "membership"
    accepted_access: ClassVar[tuple[str, ...]] = ("scores", "labels")

    def __init__(self, config: PluginConfig, *, seed: int = 0) -> None:
        self.config = config
        self.seed = seed
        self.generator = torch.Generator().manual_seed(seed)
        self.extra: dict[str, Any] = {}

    @property
    def params(self) -> dict[str, Any]:
        return self.config.model_dump(mode="json")

    def oracle_output(self) -> OracleOutput:
        """What the attack needs from the target: ``"probs"`` (scores) or ``"label"``."""
        return "probs"

    def prepare(self, target: PrivacyTarget) -> None:  # noqa: B027 - optional hook
        """Train or load shadow / reference models; called once before :meth:`infer`."""

    @abstractmethod
    def infer(self, oracle: Oracle, members: TensorData, non_members: TensorData) -> Tensor:
        """Membership scores of ``members`` then ``non_members`` (``[2n]``, higher = member).

        The attack must not use which half is which: the base concatenates them only to keep
        the result's order; a plugin treats them as one set of candidates.
        """

    def threshold(self) -> float | None:
        """A decision threshold the attack fixes without membership labels, if it has one."""
        return None

    def run(self, oracles: OracleFactory, target: PrivacyTarget) -> PrivacyResult:
        """Play the membership game against the model behind ``oracles``."""
        target.validate()
        n = len(target.members)
        oracle = oracles(output=self.oracle_output(), budget=target.query_budget)
        base: dict[str, Any] = {
            "attack": self.plugin_name,
            "params": self.params,
            "members": n,
            "non_members": n,
            "model_id": target.target_id,
        }
        if self.oracle_output() != "label" and oracle.output == "label":
            return PrivacyResult(
                **base,
                queries=0,
                seconds=0.0,
                status="not_applicable",
                note=f"{self.plugin_name} needs confidence scores but the model answers labels "
                "only; the label_only attack measures membership leakage of this model",
            )
        self.generator.manual_seed(self.seed)
        start = time.perf_counter()
        try:
            self.prepare(target)
            scores = self.infer(oracle, target.members, target.non_members).detach().cpu()
        except QueryBudgetExceeded as exc:
            return PrivacyResult(
                **base,
                queries=oracle.queries,
                seconds=time.perf_counter() - start,
                status="over_budget",
                note=str(exc),
            )
        seconds = time.perf_counter() - start
        if scores.shape != (2 * n,):
            raise ValueError(
                f"{self.plugin_name}.infer returned {tuple(scores.shape)}, not [{2 * n}]"
            )
        is_member = target.is_member
        metrics = measure(scores, is_member, target.candidates.y, self.threshold(), target.classes)
        extra = {"oracle_output": oracle.output, **self.extra}
        log.info("%s: AUC %.3f over %d + %d candidates", self.plugin_name, metrics["auc"], n, n)
        return PrivacyResult(
            **base,
            queries=oracle.queries,
            seconds=seconds,
            extra=extra,
            scores=scores,
            is_member=is_member,
            **metrics,
        )


__all__ = ["FPRS", "MembershipAttack", "PrivacyResult", "measure", "per_class_leakage"]
