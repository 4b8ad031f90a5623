"""NES: lowers accuracy in L∞ and L2 within its query budget."""

from __future__ import annotations

import pytest
import torch

from safedl.data import TensorData
from safedl.models import ModelAdapter
from safedl.registry import ATTACKS


@pytest.mark.parametrize(("norm", "eps"), [("linf", 0.2), ("l2", 1.5)])
def test_nes_lowers_accuracy(
    norm: str, eps: float, trained_digits: tuple[ModelAdapter, TensorData]
) -> None:
    model, data = trained_digits
    small = data.subset(torch.arange(100))
    params = {"eps": eps, "norm": norm, "max_queries": 300, "samples": 20}
    res = ATTACKS.create("nes", params).run(model, small)
    assert res.within_bounds
    assert res.robust_accuracy.value < res.clean_accuracy.value - 0.4
    q = res.extra["queries"]
    assert q["max"] <= 300
    # one clean query, then samples + 1 per iteration
    assert (q["max"] - 1) % 21 == 0


def test_targeted_nes_moves_towards_the_target(
    trained_digits: tuple[ModelAdapter, TensorData],
) -> None:
    model, data = trained_digits
    small = data.subset(torch.arange(50))
    params = {"eps": 0.3, "max_queries": 400, "samples": 20, "targeted": True, "target_class": 3}
    res = ATTACKS.create("nes", params).run(model, small)
    assert res.attack_success_rate.value > 0.4
