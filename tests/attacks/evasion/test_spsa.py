"""SPSA: lowers accuracy under L∞ within its query budget; L2 is rejected."""

from __future__ import annotations

import pytest
import torch

from safedl.data import TensorData
from safedl.errors import ConfigError
from safedl.models import ModelAdapter
from safedl.registry import ATTACKS


def test_spsa_lowers_accuracy(trained_digits: tuple[ModelAdapter, TensorData]) -> None:
    model, data = trained_digits
    small = data.subset(torch.arange(100))
    res = ATTACKS.create("spsa", {"eps": 0.2, "max_queries": 300, "samples": 20}).run(model, small)
    assert res.within_bounds
    assert res.examples is not None
    assert (res.examples - small.x).abs().max() <= 0.2 + 1e-6
    assert res.robust_accuracy.value < res.clean_accuracy.value - 0.4
    assert res.extra["queries"]["max"] <= 300


def test_targeted_spsa_reaches_its_target(
    trained_digits: tuple[ModelAdapter, TensorData],
) -> None:
    model, data = trained_digits
    small = data.subset(torch.arange(50))
    params = {"eps": 0.3, "max_queries": 400, "samples": 20, "targeted": True, "target_class": 3}
    res = ATTACKS.create("spsa", params).run(model, small)
    assert res.attack_success_rate.value > 0.4


def test_spsa_rejects_l2() -> None:
    with pytest.raises(ConfigError, match="L∞ norm only"):
        ATTACKS.make_config("spsa", {"norm": "l2", "eps": 1.0})
