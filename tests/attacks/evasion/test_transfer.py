"""Transfer: surrogate trained through the oracle, once per call (in prepare), then PGD."""

from __future__ import annotations

from typing import Any

import pytest
import torch

import safedl.attacks.evasion.transfer as transfer_module
from safedl.data import TensorData
from safedl.models import ModelAdapter
from safedl.registry import ATTACKS

FAST = {"query_samples": 1, "augment_rounds": 1, "epochs": 4, "steps": 10}


def test_transfer_lowers_accuracy_and_reports_queries(
    trained_digits: tuple[ModelAdapter, TensorData],
) -> None:
    model, data = trained_digits
    small = data.subset(torch.arange(100))
    res = ATTACKS.create("transfer", {"eps": 0.2, **FAST}).run(model, small)
    assert res.within_bounds
    assert res.examples is not None
    assert (res.examples - small.x).abs().max() <= 0.2 + 1e-6
    assert res.robust_accuracy.value < res.clean_accuracy.value - 0.3
    q = res.extra["queries"]
    assert q["max"] == q["median"] == (1 + 1) * 2  # inputs + noisy copies, doubled by one round
    assert q["total"] == 100 * 4 == res.extra["query_set_size"]
    assert res.extra["surrogate_agreement"] > 0.8


def test_surrogate_is_trained_once_per_call(
    trained_digits: tuple[ModelAdapter, TensorData], monkeypatch: pytest.MonkeyPatch
) -> None:
    model, data = trained_digits
    calls: list[int] = []
    real = transfer_module.train

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(len(args[1]))
        return real(*args, **kwargs)

    monkeypatch.setattr(transfer_module, "train", counting)
    small = data.subset(torch.arange(40))
    params = {"eps": 0.2, "query_samples": 1, "augment_rounds": 0, "epochs": 1, "steps": 2}
    attack = ATTACKS.create("transfer", params)
    out = attack.examples(model, small.x, small.y, batch_size=10)  # four batches
    assert calls == [80]  # one training run on the whole query set
    assert out.extra["queries"]["total"] == 80  # the query set only: no clean screening
    again = attack.examples(model, small.x, small.y, batch_size=10)
    assert calls == [80, 80] and again.extra == out.extra  # nothing kept between calls
    assert torch.equal(again.adversarial, out.adversarial)


def test_targeted_transfer_prefers_its_target(
    trained_digits: tuple[ModelAdapter, TensorData],
) -> None:
    model, data = trained_digits
    small = data.subset(torch.arange(60))
    params = {"eps": 0.3, "targeted": True, "target_class": 3, **FAST}
    res = ATTACKS.create("transfer", params).run(model, small)
    assert res.examples is not None
    hit = (model.predict(res.examples) == 3).float().mean()
    clean_hit = (model.predict(small.x) == 3).float().mean()
    assert hit > clean_hit + 0.2


def test_soft_labels_train_on_probabilities(
    trained_digits: tuple[ModelAdapter, TensorData],
) -> None:
    model, data = trained_digits
    small = data.subset(torch.arange(100))
    params = {"eps": 0.2, "soft_labels": True, **FAST}
    res = ATTACKS.create("transfer", params).run(model, small)
    assert res.robust_accuracy.value < res.clean_accuracy.value - 0.3
