"""Universal patch: one patch for all images, L0 budget check, placement, targeting."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from safedl.attacks.evasion.patch import paste
from safedl.data import TensorData
from safedl.errors import ConfigError
from safedl.models import ModelAdapter
from safedl.registry import ATTACKS


def test_random_patch_lowers_accuracy_and_stays_in_its_budget(
    trained_digits: tuple[ModelAdapter, TensorData],
) -> None:
    model, data = trained_digits
    params = {"size": 0.5, "steps": 60, "lr": 0.1}
    attack = ATTACKS.create("universal_patch", params)
    res = attack.run(model, data)
    assert res.within_bounds
    assert res.robust_accuracy.value < res.clean_accuracy.value - 0.3
    info = res.extra["patch"]
    assert info["side"] == 4 and info["area_fraction"] == 0.25 and info["placement"] == "random"
    assert res.examples is not None
    changed = ((res.examples - data.x).abs() > 0).any(1).flatten(1).sum(1)
    assert (changed <= 16).all()
    patch = res.tensors["patch"]
    assert patch.shape == (1, 4, 4) and patch.min() >= 0 and patch.max() <= 1
    assert not hasattr(attack, "patch")  # the patch comes back with the result only


def test_fixed_placement_changes_only_that_square(
    trained_digits: tuple[ModelAdapter, TensorData],
) -> None:
    model, data = trained_digits
    small = data.subset(torch.arange(50))
    params = {"size": 0.375, "steps": 20, "placement": "fixed", "x": 5, "y": 4}
    res = ATTACKS.create("universal_patch", params).run(model, small)
    assert res.examples is not None
    outside = torch.ones(8, 8, dtype=torch.bool)
    outside[4:7, 5:8] = False
    assert torch.equal(res.examples[:, :, outside], small.x[:, :, outside])
    assert res.within_bounds


def test_violation_catches_changes_outside_one_patch() -> None:
    attack = ATTACKS.create("universal_patch", {"size": 0.25})
    x = torch.full((3, 1, 8, 8), 0.5)
    ok = paste(torch.ones(1, 2, 2), x, torch.tensor([[0, 0], [6, 6], [3, 2]]))
    assert (attack.violation(x, ok) == 0).all()
    spread = x.clone()
    spread[:, :, 0, 0] = 1.0
    spread[:, :, 5, 0] = 1.0  # two changed pixels 6 rows apart: a 6-pixel extent, side 2
    assert (attack.violation(x, spread) == 4).all()
    assert attack.violation(x, x + 2.0).min() > 0  # out of [0, 1] and everywhere


def test_targeted_patch_needs_one_target_class_and_moves_towards_it(
    trained_digits: tuple[ModelAdapter, TensorData],
) -> None:
    with pytest.raises(ConfigError, match="one target"):
        ATTACKS.make_config("universal_patch", {"targeted": True})
    model, data = trained_digits
    small = data.subset(torch.arange(100))
    # A sticker at a fixed spot (a randomly placed 4x4 patch on 8x8 digits reaches ~15%).
    params: dict[str, Any] = {"size": 0.5, "steps": 40, "lr": 0.1, "targeted": True}
    params |= {"target_class": 3, "placement": "fixed", "x": 2, "y": 2}
    res = ATTACKS.create("universal_patch", params).run(model, small)
    assert res.attack_success_rate.value > 0.8


def test_fixed_patch_that_does_not_fit_is_a_config_error(
    trained_digits: tuple[ModelAdapter, TensorData],
) -> None:
    model, data = trained_digits
    attack = ATTACKS.create("universal_patch", {"size": 0.5, "placement": "fixed", "x": 6})
    with pytest.raises(ConfigError, match="does not fit"):
        attack.run(model, data.subset(torch.arange(5)))
