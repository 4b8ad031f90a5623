"""DeepFool: stays in [0, 1] (property-tested), near-minimal, reproducible, config checks."""

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


def tiny_model(seed: int) -> ModelAdapter:
    torch.manual_seed(seed)
    module = nn.Sequential(nn.Flatten(), nn.Linear(16, 12), nn.ReLU(), nn.Linear(12, 5))
    return ModelAdapter(module, input_shape=(1, 4, 4), num_classes=5, device="cpu")


@settings(max_examples=20, deadline=None)
@given(
    norm=st.sampled_from(["linf", "l2"]),
    candidates=st.integers(2, 8),
    seed=st.integers(0, 10_000),
)
def test_examples_stay_in_unit_box(norm: str, candidates: int, seed: int) -> None:
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(13, 1, 4, 4, generator=gen)
    x[0] = 0.0
    x[1] = 1.0
    y = torch.randint(0, 5, (13,), generator=gen)
    attack = ATTACKS.create("deepfool", {"norm": norm, "candidates": candidates}, seed=seed)
    model = tiny_model(seed)
    x_adv, _ = attack.generate(model, x, y, batch_size=4)
    assert x_adv.min() >= 0.0 and x_adv.max() <= 1.0
    assert attack.violation(x, x_adv).max() == 0.0
    # Examples misclassified from the start come back unchanged.
    wrong = model.predict(x) != y
    assert torch.equal(x_adv[wrong], x[wrong])


@pytest.mark.parametrize("norm", ["l2", "linf"])
def test_deepfool_fools_digits_near_minimally(
    norm: str, trained_digits: tuple[ModelAdapter, TensorData]
) -> None:
    model, data = trained_digits
    res = ATTACKS.create("deepfool", {"norm": norm}).run(model, data)
    assert res.clean_accuracy.value > 0.9
    assert res.robust_accuracy.value < 0.05
    assert res.within_bounds
    at_eps = res.extra["accuracy_at_eps"]["value"]
    assert res.robust_accuracy.value <= at_eps <= res.clean_accuracy.value
    assert res.examples is not None
    fooled = (model.predict(res.examples) != data.y) & (model.predict(data.x) == data.y)
    half = data.x + 0.5 * (res.examples - data.x)
    assert (model.predict(half)[fooled] == data.y[fooled]).float().mean() > 0.8


def test_deepfool_is_deterministic(trained_digits: tuple[ModelAdapter, TensorData]) -> None:
    model, data = trained_digits
    a, _ = ATTACKS.create("deepfool", {}, seed=1).generate(model, data.x[:40], data.y[:40])
    b, _ = ATTACKS.create("deepfool", {}, seed=2).generate(model, data.x[:40], data.y[:40])
    assert torch.equal(a, b)


def test_deepfool_with_two_candidates_still_fools(
    trained_digits: tuple[ModelAdapter, TensorData],
) -> None:
    model, data = trained_digits
    res = ATTACKS.create("deepfool", {"candidates": 2, "steps": 100}).run(model, data)
    assert res.robust_accuracy.value < 0.1


def test_invalid_configs_are_rejected() -> None:
    with pytest.raises(ConfigError, match="untargeted only"):
        ATTACKS.make_config("deepfool", {"targeted": True})
    with pytest.raises(ConfigError, match="candidates"):
        ATTACKS.make_config("deepfool", {"candidates": 1})
    with pytest.raises(ConfigError, match="overshoot"):
        ATTACKS.make_config("deepfool", {"overshoot": -0.1})
    assert ATTACKS.make_config("deepfool", {}).norm == "l2"  # type: ignore[attr-defined]
