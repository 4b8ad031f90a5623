"""ROC metrics of a membership score: AUC, TPR at a fixed FPR, balanced accuracy, the curve.

Pure tensor functions (no scikit-learn). Convention: ``scores`` are real numbers, higher means
"more likely a member"; ``is_member`` is a boolean tensor of the same length. Ties are handled
exactly: a threshold admits every example scoring at or above it, so tied examples move
together along the curve and the AUC counts a tied pair as one half (Mann–Whitney U).

Every rate comes with its 95% Wilson interval (:func:`safedl.evaluation.metrics.rate`); the AUC
comes with the Hanley–McNeil (1982) interval. A TPR at FPR ``α`` is only reported when there
are at least ``1/α`` non-members (otherwise its status is ``"too few"``): below that, the
smallest non-zero FPR the data can show is already above ``α``.

:func:`privacy_audit` checks the differential-privacy bound ``TPR ≤ e^ε·FPR + δ`` at every
operating point with the sampling error taken into account (lower CI of the TPR against the
upper CI of the FPR), and reports the largest ε the data prove (an empirical lower bound).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from safedl.evaluation.metrics import Rate, rate, wilson_interval


@dataclass(frozen=True)
class RocCurve:
    """Operating points of a score, from the strictest threshold to the loosest.

    Attributes:
        fpr: ``[P]`` false-positive rates, starting at 0 and ending at 1.
        tpr: ``[P]`` true-positive rates.
        thresholds: ``[P]`` thresholds (member iff score >= threshold); the first is +inf.
        tp: ``[P]`` true positives at each point.
        fp: ``[P]`` false positives at each point.
        positives: Number of members.
        negatives: Number of non-members.
    """

    fpr: Tensor
    tpr: Tensor
    thresholds: Tensor
    tp: Tensor
    fp: Tensor
    positives: int
    negatives: int


def _check(scores: Tensor, is_member: Tensor) -> tuple[Tensor, Tensor]:
    if scores.dim() != 1 or is_member.dim() != 1 or len(scores) != len(is_member):
        raise ValueError(
            f"scores and is_member must be 1-D of equal length, got {tuple(scores.shape)} "
            f"and {tuple(is_member.shape)}"
        )
    s = scores.detach().double().cpu()
    if torch.isnan(s).any():
        raise ValueError("membership scores contain NaN")
    m = is_member.detach().cpu().bool()
    if m.all() or not m.any():
        raise ValueError("need at least one member and one non-member")
    return s, m


def roc_curve(scores: Tensor, is_member: Tensor) -> RocCurve:
    """The ROC curve of ``scores`` (one point per distinct score, plus the origin).

    Raises:
        ValueError: Shapes differ, a score is NaN, or one of the two groups is empty.
    """
    s, m = _check(scores, is_member)
    order = torch.argsort(s, descending=True, stable=True)
    s, m = s[order], m[order]
    tp = torch.cumsum(m.long(), 0)
    fp = torch.cumsum((~m).long(), 0)
    # The last position of every run of equal scores is an operating point.
    last = torch.ones(len(s), dtype=torch.bool)
    last[:-1] = s[1:] != s[:-1]
    zero = torch.zeros(1, dtype=torch.long)
    tp = torch.cat([zero, tp[last]])
    fp = torch.cat([zero, fp[last]])
    thresholds = torch.cat([torch.tensor([math.inf], dtype=torch.float64), s[last]])
    pos, neg = int(m.sum()), int((~m).sum())
    return RocCurve(
        fpr=fp.double() / neg,
        tpr=tp.double() / pos,
        thresholds=thresholds,
        tp=tp,
        fp=fp,
        positives=pos,
        negatives=neg,
    )


def roc_auc(scores: Tensor, is_member: Tensor) -> float:
    """Area under the ROC curve: P(member scores above non-member), ties counted as 1/2."""
    s, m = _check(scores, is_member)
    # Mid-ranks: the average rank of each group of tied scores.
    sorted_s, order = torch.sort(s, stable=True)
    _, inverse, counts = torch.unique_consecutive(sorted_s, return_inverse=True, return_counts=True)
    ends = torch.cumsum(counts, 0).double()
    mid = ends - (counts.double() - 1) / 2
    ranks = torch.empty_like(s)
    ranks[order] = mid[inverse]
    pos, neg = int(m.sum()), int((~m).sum())
    u = float(ranks[m].sum()) - pos * (pos + 1) / 2
    return u / (pos * neg)


def auc_interval(auc: float, positives: int, negatives: int) -> tuple[float, float]:
    """95% interval of an AUC by Hanley & McNeil (1982), clipped to [0, 1]."""
    q1 = auc / (2 - auc)
    q2 = 2 * auc * auc / (1 + auc)
    var = (
        auc * (1 - auc) + (positives - 1) * (q1 - auc * auc) + (negatives - 1) * (q2 - auc * auc)
    ) / (positives * negatives)
    half = 1.959963984540054 * math.sqrt(max(var, 0.0))
    return max(0.0, auc - half), min(1.0, auc + half)


def tpr_at_fpr(curve: RocCurve, fpr: float) -> dict[str, Any]:
    """The best TPR among operating points whose FPR is at most ``fpr``.

    Returns:
        ``{"status": "done", "tpr": Rate dict, "fpr": achieved FPR, "threshold": float}``, or
        ``{"status": "too few", "non_members": n, "needed": ceil(1/fpr)}`` when fewer than
        ``1/fpr`` non-members make the figure meaningless.
    """
    if not 0 < fpr < 1:
        raise ValueError(f"fpr must be in (0, 1), got {fpr}")
    needed = math.ceil(1 / fpr - 1e-9)
    if curve.negatives < needed:
        return {"status": "too few", "non_members": curve.negatives, "needed": needed}
    ok = curve.fpr <= fpr + 1e-12
    idx = int(torch.nonzero(ok).flatten()[-1])  # fpr is non-decreasing: the last is the best
    return {
        "status": "done",
        "tpr": rate(int(curve.tp[idx]), curve.positives).to_dict(),
        "fpr": float(curve.fpr[idx]),
        "threshold": float(curve.thresholds[idx]),
    }


def balanced_accuracy(predicted: Tensor, is_member: Tensor) -> Rate:
    """Accuracy of the boolean ``predicted`` membership over *balanced* member/non-member sets.

    On balanced sets, balanced accuracy ``(TPR + TNR) / 2`` equals plain accuracy, so the
    result is an ordinary :class:`Rate` (correct / total) with its Wilson interval.

    Raises:
        ValueError: The two groups differ in size, or shapes differ.
    """
    if predicted.shape != is_member.shape or predicted.dim() != 1:
        raise ValueError("predicted and is_member must be 1-D of equal length")
    m = is_member.bool().cpu()
    pos, neg = int(m.sum()), int((~m).sum())
    if pos != neg:
        raise ValueError(f"balanced accuracy needs balanced sets, got {pos} members, {neg} not")
    correct = int((predicted.bool().cpu() == m).sum())
    return rate(correct, pos + neg)


def best_balanced_accuracy(curve: RocCurve) -> tuple[Rate, float]:
    """The highest balanced accuracy over all thresholds of ``curve`` and that threshold.

    An optimistic, in-sample figure (the threshold is chosen knowing membership); use an
    attack's own threshold when it has one. Needs balanced sets.
    """
    if curve.positives != curve.negatives:
        raise ValueError("best_balanced_accuracy needs balanced member and non-member sets")
    correct = curve.tp + (curve.negatives - curve.fp)
    idx = int(torch.argmax(correct))
    return rate(int(correct[idx]), curve.positives + curve.negatives), float(curve.thresholds[idx])


def downsample(curve: RocCurve, points: int = 60, min_fpr: float = 1e-4) -> list[list[float]]:
    """At most ``points`` ``[fpr, tpr]`` pairs of the curve, log-spaced in FPR, for a record.

    Each kept pair is an actual operating point (the best one at or below a grid FPR), so the
    downsampled curve never claims more than the data show; (0, 0) and (1, 1) are kept.
    """
    grid = torch.logspace(math.log10(min_fpr), 0, max(points - 1, 2), dtype=torch.float64)
    idx = torch.searchsorted(curve.fpr, grid, right=True) - 1
    idx = torch.unique(torch.cat([torch.tensor([0]), idx.clamp_min(0)]))
    return [[float(curve.fpr[i]), float(curve.tpr[i])] for i in idx.tolist()]


@dataclass(frozen=True)
class PrivacyAudit:
    """The DP bound ``TPR ≤ e^ε·FPR + δ`` checked at every operating point of a curve.

    Attributes:
        epsilon: The ε claimed.
        delta: The δ claimed.
        holds: True when no operating point proves a violation (lower 95% bound of its TPR
            above ``e^ε`` times the upper bound of its FPR, plus δ; and likewise for the
            complementary rates ``1 - FPR ≤ e^ε·(1 - TPR) + δ``).
        violations: Operating points that prove a violation, as ``[fpr, tpr]``.
        max_tpr_excess: Largest ``TPR - (e^ε·FPR + δ)`` over the points, at the point estimates
            (negative when every point lies below the bound).
        epsilon_lower_bound: The largest ε the points prove (0 when none proves any).
        points: Number of operating points checked.
    """

    epsilon: float
    delta: float
    holds: bool
    violations: list[list[float]]
    max_tpr_excess: float
    epsilon_lower_bound: float
    points: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "epsilon": self.epsilon,
            "delta": self.delta,
            "holds": self.holds,
            "violations": self.violations,
            "max_tpr_excess": self.max_tpr_excess,
            "epsilon_lower_bound": self.epsilon_lower_bound,
            "points": self.points,
        }


def privacy_audit(curve: RocCurve, epsilon: float, delta: float) -> PrivacyAudit:
    """Check a membership attack's operating points against an (ε, δ)-DP guarantee.

    Any (ε, δ)-DP training bounds every membership test by ``TPR ≤ e^ε·FPR + δ`` (Kairouz et
    al. 2015; used for auditing by Jagielski et al. 2020). A finite sample only *proves* a
    violation when the Wilson lower bound of the TPR exceeds ``e^ε`` times the Wilson upper
    bound of the FPR plus δ.
    """
    e = math.exp(epsilon)
    violations: list[list[float]] = []
    lower_eps = 0.0
    excess = -math.inf
    for tp, fp in zip(curve.tp.tolist(), curve.fp.tolist(), strict=True):
        tpr_lo, _ = wilson_interval(tp, curve.positives)
        _, fpr_hi = wilson_interval(fp, curve.negatives)
        tpr, fpr = tp / curve.positives, fp / curve.negatives
        excess = max(excess, tpr - (e * fpr + delta))
        # Both directions of the bound: (TPR, FPR) and (1 - FPR, 1 - TPR).
        for a_lo, b_hi in ((tpr_lo, fpr_hi), (1 - fpr_hi, 1 - tpr_lo)):
            if a_lo > e * b_hi + delta:
                violations.append([fpr, tpr])
            if a_lo - delta > 0 and b_hi > 0:
                lower_eps = max(lower_eps, math.log((a_lo - delta) / b_hi))
    return PrivacyAudit(
        epsilon=float(epsilon),
        delta=float(delta),
        holds=not violations,
        violations=violations,
        max_tpr_excess=float(excess),
        epsilon_lower_bound=float(lower_eps),
        points=len(curve.tp),
    )


__all__ = [
    "PrivacyAudit",
    "RocCurve",
    "auc_interval",
    "balanced_accuracy",
    "best_balanced_accuracy",
    "downsample",
    "privacy_audit",
    "roc_auc",
    "roc_curve",
    "tpr_at_fpr",
]
