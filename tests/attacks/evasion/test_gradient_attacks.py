"""FGSM and PGD: bounds (property-tested), reproducibility, strength, targeting, checks."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from safedl.attacks.evasion import EvasionAttack, EvasionConfig
from safedl.data import TensorData
from safedl.models import ModelAdapter
from safedl.registry import ATTACKS


def tiny_model(seed: int) -> ModelAdapter:
    torch.manual_seed(seed)
    module = nn.Sequential(nn.Flatten(), nn.Linear(16, 12), nn.ReLU(), nn.Linear(12, 3))
    return ModelAdapter(module, input_shape=(1, 4, 4), num_classes=3, device="cpu")


@settings(max_examples=25, deadline=None)
@given(
    name=st.sampled_from(["fgsm", "pgd"]),
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
    y = torch.randint(0, 3, (17,), generator=gen)
    params = {"eps": eps, "norm": norm, "targeted": targeted}
    if name == "pgd":
        params.update(steps=3, restarts=2)
    attack = ATTACKS.create(name, params, seed=seed)
    x_adv, _ = attack.generate(tiny_model(seed), x, y, batch_size=5)
    delta = (x_adv - x).flatten(1)
    size = delta.abs().amax(1) if norm == "linf" else delta.norm(dim=1)
    assert (size <= eps + 1e-6).all()
    assert x_adv.min() >= 0.0 and x_adv.max() <= 1.0
    assert attack.violation(x, x_adv).max() <= 1e-6


def test_seeded_runs_reproduce(trained_digits: tuple[ModelAdapter, TensorData]) -> None:
    model, data = trained_digits
    params = {"eps": 0.1, "steps": 5}
    a, _ = ATTACKS.create("pgd", params, seed=3).generate(model, data.x[:50], data.y[:50])
    b, _ = ATTACKS.create("pgd", params, seed=3).generate(model, data.x[:50], data.y[:50])
    c, _ = ATTACKS.create("pgd", params, seed=4).generate(model, data.x[:50], data.y[:50])
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_attacks_lower_accuracy_and_pgd_beats_fgsm(
    trained_digits: tuple[ModelAdapter, TensorData],
) -> None:
    model, data = trained_digits
    # 8x8 digits take a larger budget than 28x28 images: at eps 0.2, PGD breaks almost all.
    fgsm = ATTACKS.create("fgsm", {"eps": 0.2}).run(model, data)
    pgd = ATTACKS.create("pgd", {"eps": 0.2, "steps": 20}).run(model, data)
    assert fgsm.clean_accuracy.value > 0.9
    assert fgsm.robust_accuracy.value < fgsm.clean_accuracy.value - 0.2
    assert pgd.robust_accuracy.value <= fgsm.robust_accuracy.value
    assert pgd.robust_accuracy.value < 0.1
    assert pgd.attack_success_rate.value > 0.8
    assert pgd.within_bounds and fgsm.within_bounds
    assert pgd.norms["linf"]["mean"] <= 0.2 + 1e-6
    low, high = pgd.robust_accuracy.low, pgd.robust_accuracy.high
    assert low <= pgd.robust_accuracy.value <= high


def test_l2_pgd_lowers_accuracy(trained_digits: tuple[ModelAdapter, TensorData]) -> None:
    model, data = trained_digits
    res = ATTACKS.create("pgd", {"eps": 1.5, "norm": "l2", "steps": 20}).run(model, data)
    assert res.robust_accuracy.value < res.clean_accuracy.value - 0.3
    assert res.norms["l2"]["mean"] <= 1.5 + 1e-5


def test_targeted_pgd_reaches_target(trained_digits: tuple[ModelAdapter, TensorData]) -> None:
    model, data = trained_digits
    res = ATTACKS.create("pgd", {"eps": 0.3, "steps": 30, "targeted": True, "target_class": 3}).run(
        model, data
    )
    assert res.attack_success_rate.value > 0.8
    x_adv = res.examples
    assert x_adv is not None
    assert (model.predict(x_adv) == 3).float().mean() > 0.8


def test_restarts_never_weaken_pgd(trained_digits: tuple[ModelAdapter, TensorData]) -> None:
    model, data = trained_digits
    one = ATTACKS.create("pgd", {"eps": 0.05, "steps": 10}).run(model, data)
    three = ATTACKS.create("pgd", {"eps": 0.05, "steps": 10, "restarts": 3}).run(model, data)
    assert three.robust_accuracy.value <= one.robust_accuracy.value


def test_target_class_requires_targeted() -> None:
    from safedl.errors import ConfigError

    with pytest.raises(ConfigError, match="targeted"):
        ATTACKS.make_config("pgd", {"target_class": 1})


class _Cheater(EvasionAttack):
    plugin_name = "cheater"

    def perturb(self, model, x, y, target, generator):  # type: ignore[no-untyped-def]
        return x + 3 * self.config.eps


def test_bounds_check_catches_an_attack_leaving_its_threat_model(
    trained_digits: tuple[ModelAdapter, TensorData],
) -> None:
    model, data = trained_digits
    res = _Cheater(EvasionConfig(eps=0.1)).run(model, data)
    assert not res.within_bounds
    assert res.max_violation > 0.1
