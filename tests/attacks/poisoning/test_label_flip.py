"""Label flipping: budget, modes, seeding, bad config, and a drop that grows with the flip rate.

Measured on digits (small_cnn, 12 epochs, batch 64, lr 0.003, seed 0): random flips of 30% of
the training labels cost 2.5 points of clean accuracy, 60% cost 6.7 points; 0% is the baseline.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch

from safedl.data import TensorData
from safedl.errors import ConfigError
from safedl.registry import ATTACKS


def toy_data(n: int = 300, seed: int = 0) -> TensorData:
    gen = torch.Generator().manual_seed(seed)
    return TensorData(torch.rand((n, 1, 4, 4), generator=gen), torch.arange(n) % 5)


def flip(params: dict[str, Any], data: TensorData, seed: int = 0) -> Any:
    return ATTACKS.create("label_flip", params, seed=seed).poison(data, num_classes=5)


@pytest.mark.parametrize("fraction", [0.0, 0.01, 0.1, 0.5, 1.0])
def test_random_flips_exactly_the_budget(fraction: float) -> None:
    data = toy_data()
    out = flip({"poison_fraction": fraction}, data)
    changed = out.data.y != data.y
    assert int(changed.sum()) == out.count == round(fraction * len(data))
    assert torch.equal(changed.nonzero().flatten(), out.indices)
    assert torch.equal(out.data.x, data.x)
    assert out.data.y.min() >= 0 and out.data.y.max() < 5
    if fraction == 0.0:
        assert out.data.fingerprint() == data.fingerprint()  # the victim is the baseline


def test_source_target_and_many_to_one() -> None:
    data = toy_data()
    out = flip({"mode": "source_target", "source_class": 2, "target_class": 4, "fraction": 1}, data)
    assert out.count == int((data.y == 2).sum())  # the budget is capped by the source class
    assert (data.y[out.indices] == 2).all() and (out.data.y[out.indices] == 4).all()
    out = flip({"mode": "many_to_one", "target_class": 0, "poison_fraction": 0.2}, data)
    assert out.count == 60 and (data.y[out.indices] != 0).all()
    assert (out.data.y[out.indices] == 0).all()


def test_seeded_and_reproducible() -> None:
    data = toy_data()
    a, b, c = (flip({"poison_fraction": 0.2}, data, seed=s) for s in (1, 1, 2))
    assert torch.equal(a.data.y, b.data.y) and torch.equal(a.indices, b.indices)
    assert not torch.equal(a.data.y, c.data.y)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"mode": "source_target", "target_class": 1}, "needs source_class"),
        ({"mode": "many_to_one"}, "needs target_class"),
        ({"source_class": 1}, "only with mode source_target"),
        ({"mode": "source_target", "source_class": 1, "target_class": 1}, "must differ"),
        ({"poison_fraction": 1.5}, "poison_fraction"),
        ({"flips": 3}, "unknown key"),
    ],
)
def test_bad_config_is_refused(params: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        ATTACKS.make_config("label_flip", params)


def test_class_out_of_range_for_the_data() -> None:
    with pytest.raises(ConfigError, match="out of range"):
        flip({"mode": "many_to_one", "target_class": 9}, toy_data())


def test_accuracy_drop_grows_with_the_flip_rate(poison_env: Any) -> None:
    drops = [poison_env.evaluate("label_flip", {"poison_fraction": f}) for f in (0.3, 0.6)]
    low, high = (r.accuracy_drop for r in drops)
    assert low > 0.005 and low + 0.01 < high, (low, high)
    assert all(r.labels_changed == r.poison_count for r in drops)
    # random mode: success is the victim's test error, which grows the same way
    assert drops[0].attack_success_rate.value < drops[1].attack_success_rate.value


def test_source_to_target_flips_move_the_source_class(poison_env: Any) -> None:
    params = {"mode": "source_target", "source_class": 3, "target_class": 8, "fraction": 0.2}
    r = poison_env.evaluate("label_flip", params)
    assert r.poison_count == int((poison_env.splits.train.y == 3).sum())  # capped: all of them
    assert r.attack_success_rate.n == int((poison_env.splits.test.y == 3).sum())
    assert r.attack_success_rate.value >= 0.5 and r.baseline_attack_success_rate.value <= 0.05
    assert r.per_class_accuracy["after"]["3"] <= 0.5 < r.per_class_accuracy["before"]["3"]
