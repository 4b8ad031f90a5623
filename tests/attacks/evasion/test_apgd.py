"""APGD-CE and APGD-DLR: bounds (property-tested), schedule, DLR loss, strength, targeting."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from safedl.attacks.evasion.apgd import checkpoints
from safedl.attacks.evasion.dlr import dlr_loss, targeted_dlr_loss
from safedl.data import TensorData
from safedl.errors import ConfigError
from safedl.models import ModelAdapter
from safedl.registry import ATTACKS


def tiny_model(seed: int, classes: int = 4) -> ModelAdapter:
    torch.manual_seed(seed)
    module = nn.Sequential(nn.Flatten(), nn.Linear(16, 12), nn.ReLU(), nn.Linear(12, classes))
    return ModelAdapter(module, input_shape=(1, 4, 4), num_classes=classes, device="cpu")


@settings(max_examples=25, deadline=None)
@given(
    name=st.sampled_from(["apgd_ce", "apgd_dlr"]),
    norm=st.sampled_from(["linf", "l2"]),
    eps=st.floats(0.001, 2.0),
    targeted=st.booleans(),
    seed=st.integers(0, 10_000),
)
def test_examples_stay_in_eps_ball_and_unit_box(
    name: str, norm: str, eps: float, targeted: bool, seed: int
) -> None:
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(17, 1, 4, 4, generator=gen)
    x[0] = 0.0
    x[1] = 1.0
    y = torch.randint(0, 4, (17,), generator=gen)
    params = {"eps": eps, "norm": norm, "targeted": targeted, "steps": 6, "restarts": 2}
    attack = ATTACKS.create(name, params, seed=seed)
    x_adv, _ = attack.generate(tiny_model(seed), x, y, batch_size=5)
    delta = (x_adv - x).flatten(1)
    size = delta.abs().amax(1) if norm == "linf" else delta.norm(dim=1)
    assert (size <= eps + 1e-6).all()
    assert x_adv.min() >= 0.0 and x_adv.max() <= 1.0
    assert attack.violation(x, x_adv).max() <= 1e-6


def test_checkpoints_follow_the_paper() -> None:
    # p = 0, 0.22, 0.41, 0.57, 0.70, 0.80, 0.87, 0.93, 0.99 (Croce & Hein, Sec. 3.2)
    assert checkpoints(100) == [22, 41, 57, 70, 80, 87, 93, 99]
    assert checkpoints(10) == [3, 5, 6, 7, 8, 9, 10]
    assert checkpoints(1) == [1]


def test_dlr_is_shift_and_scale_invariant_and_positive_when_misclassified() -> None:
    logits = torch.tensor([[3.0, 1.0, 0.0, -1.0], [0.0, 2.0, 1.0, -2.0]])
    y = torch.tensor([0, 0])
    loss = dlr_loss(logits, y)
    assert torch.allclose(dlr_loss(5 * logits + 7, y), loss, atol=1e-5)
    assert loss[0] < 0 < loss[1]  # correct: negative; misclassified: positive
    assert torch.allclose(loss, torch.tensor([-2 / 3, 1.0]), atol=1e-6)
    t = torch.tensor([3, 1])
    targeted = targeted_dlr_loss(logits, y, t)
    assert torch.allclose(targeted_dlr_loss(2 * logits - 1, y, t), targeted, atol=1e-5)
    assert targeted[0] < 0 < targeted[1]
    assert torch.allclose(targeted, torch.tensor([-4 / 3.5, 2 / 3]), atol=1e-6)


def test_seeded_runs_reproduce(trained_digits: tuple[ModelAdapter, TensorData]) -> None:
    model, data = trained_digits
    x, y = data.x[:50], data.y[:50]
    params = {"eps": 0.05, "steps": 10}
    a, _ = ATTACKS.create("apgd_ce", params, seed=3).generate(model, x, y)
    b, _ = ATTACKS.create("apgd_ce", params, seed=3).generate(model, x, y)
    c, _ = ATTACKS.create("apgd_ce", params, seed=4).generate(model, x, y)
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


@pytest.mark.parametrize("name", ["apgd_ce", "apgd_dlr"])
def test_apgd_breaks_digits_and_matches_pgd(
    name: str, trained_digits: tuple[ModelAdapter, TensorData]
) -> None:
    model, data = trained_digits
    strong = ATTACKS.create(name, {"eps": 0.2, "steps": 20}).run(model, data)
    assert strong.clean_accuracy.value > 0.9
    assert strong.robust_accuracy.value < 0.05
    assert strong.within_bounds
    weak_pgd = ATTACKS.create("pgd", {"eps": 0.1, "steps": 20}).run(model, data)
    weak = ATTACKS.create(name, {"eps": 0.1, "steps": 20}).run(model, data)
    assert weak.robust_accuracy.value <= weak_pgd.robust_accuracy.value + 0.03


def test_l2_apgd_lowers_accuracy(trained_digits: tuple[ModelAdapter, TensorData]) -> None:
    model, data = trained_digits
    res = ATTACKS.create("apgd_ce", {"eps": 1.5, "norm": "l2", "steps": 20}).run(model, data)
    assert res.robust_accuracy.value < res.clean_accuracy.value - 0.5
    assert res.within_bounds


@pytest.mark.parametrize("name", ["apgd_ce", "apgd_dlr"])
def test_targeted_apgd_reaches_target(
    name: str, trained_digits: tuple[ModelAdapter, TensorData]
) -> None:
    model, data = trained_digits
    params = {"eps": 0.3, "steps": 30, "targeted": True, "target_class": 3}
    res = ATTACKS.create(name, params).run(model, data)
    assert res.attack_success_rate.value > 0.9
    assert res.examples is not None
    assert (model.predict(res.examples) == 3).float().mean() > 0.9


def test_invalid_configs_are_rejected() -> None:
    with pytest.raises(ConfigError, match="rho"):
        ATTACKS.make_config("apgd_ce", {"rho": 1.5})
    with pytest.raises(ConfigError, match="steps"):
        ATTACKS.make_config("apgd_dlr", {"steps": 0})
    with pytest.raises(ConfigError, match="momentum"):
        ATTACKS.make_config("apgd_ce", {"momentum": 0.5})


def test_dlr_needs_enough_classes() -> None:
    x, y = torch.rand(4, 1, 4, 4), torch.tensor([0, 1, 0, 1])
    with pytest.raises(ConfigError, match="at least 3 classes"):
        ATTACKS.create("apgd_dlr", {"steps": 2}).generate(tiny_model(0, classes=2), x, y)
    with pytest.raises(ConfigError, match="at least 4 classes"):
        ATTACKS.create("apgd_dlr", {"steps": 2, "targeted": True}).generate(
            tiny_model(0, classes=3), x, y
        )
    # APGD-CE has no such limit.
    ATTACKS.create("apgd_ce", {"steps": 2}).generate(tiny_model(0, classes=2), x, y)
