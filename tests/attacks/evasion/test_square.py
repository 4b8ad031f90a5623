"""Square Attack: strength against PGD, L2 variant, targeting, early exit, the p schedule."""

from __future__ import annotations

import torch

from safedl.attacks.evasion.square import bump, p_at
from safedl.data import TensorData
from safedl.models import ModelAdapter
from safedl.registry import ATTACKS


def test_p_schedule_halves_at_the_reference_iterations() -> None:
    assert p_at(0.8, 0, 10_000) == 0.8
    assert p_at(0.8, 10, 10_000) == 0.8
    assert p_at(0.8, 11, 10_000) == 0.4
    assert p_at(0.8, 201, 10_000) == 0.8 / 8
    assert p_at(0.8, 9_000, 10_000) == 0.8 / 512
    assert p_at(0.8, 30, 300) == 0.8 / 16  # rescaled: iteration 30 of 300 is 1000 of 10 000


def test_l2_bump_has_unit_norm_and_opposite_halves() -> None:
    b = bump(5, torch.device("cpu"))
    assert torch.isclose(b.norm(), torch.tensor(1.0))
    assert (b[:2] >= 0).all() and (b[2:] <= 0).all()


def test_linf_square_is_close_to_pgd_and_stops_early(
    trained_digits: tuple[ModelAdapter, TensorData],
) -> None:
    model, data = trained_digits
    square = ATTACKS.create("square", {"eps": 0.2, "max_queries": 300}).run(model, data)
    pgd = ATTACKS.create("pgd", {"eps": 0.2, "steps": 20}).run(model, data)
    assert square.within_bounds
    assert square.examples is not None
    assert (square.examples - data.x).abs().max() <= 0.2 + 1e-6
    assert square.robust_accuracy.value <= pgd.robust_accuracy.value + 0.10
    assert square.robust_accuracy.value < 0.15
    q = square.extra["queries"]
    assert q["max"] <= 300
    assert q["median"] < 100  # most points break long before the budget and stop querying


def test_l2_square_lowers_accuracy(trained_digits: tuple[ModelAdapter, TensorData]) -> None:
    model, data = trained_digits
    small = data.subset(torch.arange(100))
    res = ATTACKS.create("square", {"eps": 1.0, "norm": "l2", "max_queries": 200}).run(model, small)
    assert res.within_bounds
    assert res.examples is not None
    assert (res.examples - small.x).flatten(1).norm(dim=1).max() <= 1.0 + 1e-5
    assert res.robust_accuracy.value < res.clean_accuracy.value - 0.4


def test_targeted_square_reaches_its_target(
    trained_digits: tuple[ModelAdapter, TensorData],
) -> None:
    model, data = trained_digits
    small = data.subset(torch.arange(60))
    params = {"eps": 0.3, "max_queries": 300, "targeted": True, "target_class": 3}
    res = ATTACKS.create("square", params).run(model, small)
    assert res.within_bounds
    assert res.attack_success_rate.value > 0.6
    assert res.examples is not None
    assert (model.predict(res.examples) == 3).float().mean() > 0.6
