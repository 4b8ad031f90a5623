"""C&W L2: stays in [0, 1] (property-tested), minimal and reproducible, targets, config checks."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from safedl.data import TensorData
from safedl.errors import ConfigError
from safedl.models import ModelAdapter
from safedl.registry import ATTACKS

# A budget that fools the 8x8 digits model quickly (pixels at exactly 0 or 1 sit deep in the
# flat part of tanh, so a small learning rate needs many steps to move them).
FAST = {"binary_search_steps": 4, "steps": 30, "lr": 0.1, "initial_const": 0.1}


def tiny_model(seed: int) -> ModelAdapter:
    torch.manual_seed(seed)
    module = nn.Sequential(nn.Flatten(), nn.Linear(16, 12), nn.ReLU(), nn.Linear(12, 3))
    return ModelAdapter(module, input_shape=(1, 4, 4), num_classes=3, device="cpu")


@settings(max_examples=10, deadline=None)
@given(targeted=st.booleans(), confidence=st.floats(0, 2), seed=st.integers(0, 10_000))
def test_examples_stay_in_unit_box(targeted: bool, confidence: float, seed: int) -> None:
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(9, 1, 4, 4, generator=gen)
    x[0] = 0.0
    x[1] = 1.0
    y = torch.randint(0, 3, (9,), generator=gen)
    params = {"targeted": targeted, "confidence": confidence, **FAST, "steps": 5}
    attack = ATTACKS.create("cw", params, seed=seed)
    x_adv, _ = attack.generate(tiny_model(seed), x, y, batch_size=4)
    assert x_adv.min() >= 0.0 and x_adv.max() <= 1.0
    assert attack.violation(x, x_adv).max() == 0.0


@pytest.fixture(scope="module")
def digits100(trained_digits: tuple[ModelAdapter, TensorData]) -> tuple[ModelAdapter, TensorData]:
    model, data = trained_digits
    return model, data.subset(torch.arange(100))


def test_cw_fools_digits_with_small_perturbations(
    digits100: tuple[ModelAdapter, TensorData],
) -> None:
    model, data = digits100
    res = ATTACKS.create("cw", {**FAST, "eps": 0.5}).run(model, data)
    assert res.clean_accuracy.value > 0.9
    assert res.robust_accuracy.value < 0.05
    assert res.within_bounds
    at_eps = res.extra["accuracy_at_eps"]["value"]
    assert res.robust_accuracy.value <= at_eps <= res.clean_accuracy.value
    assert res.extra["median_const"] > 0
    # Minimal: half of each perturbation no longer fools the model on most examples.
    assert res.examples is not None
    fooled = (model.predict(res.examples) != data.y) & (model.predict(data.x) == data.y)
    half = data.x + 0.5 * (res.examples - data.x)
    assert (model.predict(half)[fooled] == data.y[fooled]).float().mean() > 0.8


def test_failed_examples_come_back_unchanged(digits100: tuple[ModelAdapter, TensorData]) -> None:
    model, data = digits100
    params = {"binary_search_steps": 1, "steps": 2, "initial_const": 1e-4}
    res = ATTACKS.create("cw", params).run(model, data)
    assert res.examples is not None
    still = model.predict(res.examples) == data.y
    assert still.float().mean() > 0.5
    assert torch.equal(res.examples[still], data.x[still])


def test_confidence_is_a_margin(digits100: tuple[ModelAdapter, TensorData]) -> None:
    model, data = digits100
    res = ATTACKS.create("cw", {**FAST, "confidence": 2.0}).run(model, data)
    assert res.examples is not None
    logits = model.predict_proba(res.examples).log()  # log-softmax: same margins as logits
    own = logits.gather(1, data.y[:, None]).squeeze(1)
    best_other = logits.scatter(1, data.y[:, None], -torch.inf).amax(1)
    fooled = model.predict(res.examples) != data.y
    assert fooled.float().mean() > 0.8
    assert (best_other - own)[fooled & (model.predict(data.x) == data.y)].min() > 2.0 - 1e-3


def test_reproducible(digits100: tuple[ModelAdapter, TensorData]) -> None:
    model, data = digits100
    x, y = data.x[:30], data.y[:30]
    a, _ = ATTACKS.create("cw", {**FAST, "steps": 10}, seed=1).generate(model, x, y)
    b, _ = ATTACKS.create("cw", {**FAST, "steps": 10}, seed=1).generate(model, x, y)
    assert torch.equal(a, b)


def test_targeted_cw_reaches_target(digits100: tuple[ModelAdapter, TensorData]) -> None:
    model, data = digits100
    res = ATTACKS.create("cw", {**FAST, "targeted": True, "target_class": 3}).run(model, data)
    assert res.attack_success_rate.value > 0.9
    assert res.examples is not None
    assert (model.predict(res.examples) == 3).float().mean() > 0.9


def test_invalid_configs_are_rejected() -> None:
    with pytest.raises(ConfigError, match="norm: l2"):
        ATTACKS.make_config("cw", {"norm": "linf"})
    with pytest.raises(ConfigError, match="confidence"):
        ATTACKS.make_config("cw", {"confidence": -1})
    with pytest.raises(ConfigError, match="binary_search_steps"):
        ATTACKS.make_config("cw", {"binary_search_steps": 0})
    assert ATTACKS.make_config("cw", {}).norm == "l2"  # type: ignore[attr-defined]
