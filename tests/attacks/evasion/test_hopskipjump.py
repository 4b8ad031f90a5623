"""HopSkipJump: labels only, minimum norm, budgets, L2 and L∞, targeted starts."""

from __future__ import annotations

import torch

from safedl.attacks.evasion.hopskipjump import HopSkipJump
from safedl.data import TensorData
from safedl.models import ModelAdapter
from safedl.registry import ATTACKS


def test_asks_for_labels_and_is_minimum_norm() -> None:
    assert HopSkipJump.oracle_output == "label"
    assert HopSkipJump.minimum_norm


def test_l2_finds_small_adversarial_perturbations(
    trained_digits: tuple[ModelAdapter, TensorData],
) -> None:
    model, data = trained_digits
    small = data.subset(torch.arange(50))
    res = ATTACKS.create("hopskipjump", {"eps": 1.5, "norm": "l2", "max_queries": 500}).run(
        model, small
    )
    assert res.within_bounds  # [0, 1] only: a minimum-norm attack is not bound to the ball
    assert res.robust_accuracy.value == 0.0  # every returned point is adversarial
    at_eps = res.extra["accuracy_at_eps"]["value"]
    assert at_eps < res.clean_accuracy.value - 0.5
    assert res.norms["l2"]["median"] < 1.5
    assert res.extra["queries"]["max"] <= 500


def test_linf_lowers_accuracy_at_eps(trained_digits: tuple[ModelAdapter, TensorData]) -> None:
    model, data = trained_digits
    small = data.subset(torch.arange(50))
    res = ATTACKS.create("hopskipjump", {"eps": 0.3, "norm": "linf", "max_queries": 500}).run(
        model, small
    )
    assert res.within_bounds
    assert res.extra["accuracy_at_eps"]["value"] < res.clean_accuracy.value - 0.4
    assert res.extra["queries"]["max"] <= 500


def test_more_queries_give_smaller_perturbations(
    trained_digits: tuple[ModelAdapter, TensorData],
) -> None:
    model, data = trained_digits
    small = data.subset(torch.arange(30))
    few = ATTACKS.create("hopskipjump", {"norm": "l2", "max_queries": 50}).run(model, small)
    many = ATTACKS.create("hopskipjump", {"norm": "l2", "max_queries": 400}).run(model, small)
    assert many.norms["l2"]["median"] < few.norms["l2"]["median"]


def test_targeted_starts_from_batch_images_and_reaches_the_target(
    trained_digits: tuple[ModelAdapter, TensorData],
) -> None:
    model, data = trained_digits
    small = data.subset(torch.arange(40))
    params = {"eps": 2.0, "norm": "l2", "max_queries": 300, "targeted": True}
    res = ATTACKS.create("hopskipjump", params).run(model, small)
    assert res.within_bounds
    assert res.attack_success_rate.value > 0.8  # the batch holds every class to start from
