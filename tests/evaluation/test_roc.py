"""ROC metrics against scikit-learn, on ties, edge cases and the DP audit."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score
from sklearn.metrics import roc_curve as sk_roc_curve

from safedl.evaluation.roc import (
    auc_interval,
    balanced_accuracy,
    best_balanced_accuracy,
    downsample,
    privacy_audit,
    roc_auc,
    roc_curve,
    tpr_at_fpr,
)


def _sample(
    n: int, shift: float, seed: int, ties: bool = False
) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    member = torch.arange(2 * n) < n
    scores = torch.randn(2 * n, generator=gen, dtype=torch.float64) + shift * member
    return (scores.round() if ties else scores), member


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 60), shift=st.floats(-2, 2), seed=st.integers(0, 10_000), ties=st.booleans()
)
def test_auc_and_curve_match_scikit_learn(n: int, shift: float, seed: int, ties: bool) -> None:
    scores, member = _sample(n, shift, seed, ties)
    assert roc_auc(scores, member) == pytest.approx(roc_auc_score(member, scores), abs=1e-12)
    curve = roc_curve(scores, member)
    fpr, tpr, _ = sk_roc_curve(member.numpy(), scores.numpy(), drop_intermediate=False)
    assert curve.fpr.tolist() == pytest.approx(fpr.tolist())
    assert curve.tpr.tolist() == pytest.approx(tpr.tolist())


def test_tpr_at_fixed_fpr_and_too_few_non_members() -> None:
    scores, member = _sample(2000, 1.0, 0)
    curve = roc_curve(scores, member)
    at = tpr_at_fpr(curve, 0.01)
    assert at["status"] == "done" and at["fpr"] <= 0.01
    # The best TPR among points at or below 1% FPR, by brute force over thresholds.
    brute = max(
        float((scores[member] >= t).double().mean())
        for t in scores.tolist()
        if float((scores[~member] >= t).double().mean()) <= 0.01
    )
    assert at["tpr"]["value"] == pytest.approx(brute)
    assert at["tpr"]["low"] < at["tpr"]["value"] < at["tpr"]["high"]
    assert tpr_at_fpr(curve, 0.001)["status"] == "done"  # 2000 non-members suffice
    small = roc_curve(*_sample(500, 1.0, 0))
    assert tpr_at_fpr(small, 0.001) == {"status": "too few", "non_members": 500, "needed": 1000}
    assert tpr_at_fpr(small, 0.01)["status"] == "done"


def test_balanced_accuracy_and_best_threshold() -> None:
    member = torch.tensor([True, True, True, False, False, False])
    predicted = torch.tensor([True, True, False, False, False, True])
    bal = balanced_accuracy(predicted, member)
    assert bal.value == pytest.approx(4 / 6) and bal.n == 6
    with pytest.raises(ValueError, match="balanced"):
        balanced_accuracy(predicted[:5], member[:5])
    scores = torch.tensor([0.9, 0.8, 0.1, 0.2, 0.3, 0.85])
    best, threshold = best_balanced_accuracy(roc_curve(scores, member))
    assert best.value == pytest.approx(4 / 6)
    assert balanced_accuracy(scores >= threshold, member).value == best.value


def test_constant_scores_are_chance_and_separable_scores_are_perfect() -> None:
    member = torch.arange(100) < 50
    assert roc_auc(torch.zeros(100), member) == 0.5
    assert roc_auc(member.double(), member) == 1.0
    assert roc_auc(-member.double(), member) == 0.0
    low, high = auc_interval(0.5, 50, 50)
    assert low < 0.5 < high and high - low < 0.25
    with pytest.raises(ValueError):
        roc_auc(torch.zeros(10), torch.ones(10, dtype=torch.bool))
    with pytest.raises(ValueError, match="NaN"):
        roc_curve(torch.tensor([0.0, math.nan]), torch.tensor([True, False]))


def test_downsampled_curve_keeps_real_points_and_both_ends() -> None:
    curve = roc_curve(*_sample(5000, 1.0, 1))
    points = downsample(curve, points=40)
    assert len(points) <= 41 and points[0] == [0.0, 0.0] and points[-1] == [1.0, 1.0]
    real = set(zip(curve.fpr.tolist(), curve.tpr.tolist(), strict=True))
    assert all((f, t) in real for f, t in points)
    assert [p[0] for p in points] == sorted(p[0] for p in points)


def test_privacy_audit_flags_a_leaky_score_and_passes_a_random_one() -> None:
    scores, member = _sample(1000, 3.0, 2)  # a strong attack: far from any small ε
    leaky = privacy_audit(roc_curve(scores, member), epsilon=0.5, delta=1e-5)
    assert not leaky.holds and leaky.epsilon_lower_bound > 0.5
    random = privacy_audit(roc_curve(*_sample(1000, 0.0, 3)), epsilon=0.5, delta=1e-5)
    assert random.holds and random.epsilon_lower_bound < 0.5
