"""McNemar's exact test and the paired difference."""

from __future__ import annotations

import pytest
import torch

from safedl.evaluation.paired import mcnemar_p, paired_difference


def test_mcnemar_matches_the_binomial_tail() -> None:
    assert mcnemar_p(0, 0) == 1.0
    assert mcnemar_p(5, 5) == 1.0
    # b=0, c=6: 2 * 0.5**6
    assert mcnemar_p(0, 6) == pytest.approx(2 * 0.5**6)
    assert mcnemar_p(2, 10) == pytest.approx(0.0386, abs=1e-4)  # scipy.stats.binomtest


def test_paired_difference_counts_only_discordant_pairs() -> None:
    before = torch.tensor([True] * 50 + [False] * 50)
    after = torch.tensor([True] * 50 + [True] * 30 + [False] * 20)
    d = paired_difference(before, after)
    assert d["b"] == 0 and d["c"] == 30 and d["difference"] == pytest.approx(0.3)
    assert d["low"] < 0.3 < d["high"] and d["significant"]
    same = paired_difference(before, before)
    assert same["difference"] == 0 and same["p_value"] == 1.0 and not same["significant"]
