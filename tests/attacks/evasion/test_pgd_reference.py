"""PGD against published figures and an independent textbook loop; PGD's early exit.

The slow tests train ``small_cnn`` on Fashion-MNIST (≈90% clean accuracy) and check, on 1000
test images, that:

* PGD-20 at L∞ ε = 0.1 (step 0.01, random start) leaves < 6% robust accuracy (published
  figures for standard, non-robust Fashion-MNIST CNNs: 4.0–4.1%);
* our PGD agrees with a naive, hand-written PGD loop within 1.5 points, and early exit never
  raises robust accuracy;
* APGD-CE is at least as strong as PGD-20;
* C&W and DeepFool find small L2 perturbations, C&W's no larger than DeepFool's (within 20%).

The fast tests check PGD's early exit on the digits model.
"""

from __future__ import annotations

import pytest
import torch
from torch.nn import functional as F

from safedl.attacks.evasion import EvasionResult
from safedl.data import TensorData
from safedl.models import ModelAdapter
from safedl.registry import ATTACKS

EPS, STEP, STEPS = 0.1, 0.01, 20
PGD20 = {"eps": EPS, "step_size": STEP, "steps": STEPS, "random_start": True}
Trained = tuple[ModelAdapter, TensorData]


def textbook_pgd(model: ModelAdapter, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """L∞ PGD as in Madry et al. (2018), written without any Safe-DL helper: one batch,
    uniform random start, signed-gradient ascent on the mean cross-entropy, clip to the ε-box
    around ``x`` and to [0, 1] after every step."""
    x_adv = (x + torch.empty_like(x).uniform_(-EPS, EPS)).clamp(0.0, 1.0)
    for _ in range(STEPS):
        x_adv = x_adv.clone().detach().requires_grad_(True)
        loss = F.cross_entropy(model.logits(x_adv), y)
        (grad,) = torch.autograd.grad(loss, x_adv)
        x_adv = x_adv.detach() + STEP * grad.sign()
        x_adv = torch.min(torch.max(x_adv, x - EPS), x + EPS).clamp(0.0, 1.0)
    return x_adv


@pytest.fixture(scope="module")
def pgd_plain(trained_fashion: Trained) -> EvasionResult:
    model, data = trained_fashion
    return ATTACKS.create("pgd", {**PGD20, "early_stop": False}, seed=0).run(model, data)


@pytest.mark.slow
def test_pgd20_breaks_a_standard_fashion_mnist_cnn(
    trained_fashion: Trained, pgd_plain: EvasionResult
) -> None:
    assert pgd_plain.clean_accuracy.value > 0.88
    assert pgd_plain.robust_accuracy.value < 0.06
    assert pgd_plain.within_bounds


@pytest.mark.slow
def test_pgd_agrees_with_a_textbook_loop(
    trained_fashion: Trained, pgd_plain: EvasionResult
) -> None:
    model, data = trained_fashion
    torch.manual_seed(1)
    model.module.eval()
    correct = 0
    for i in range(0, len(data), 250):
        x, y = data.x[i : i + 250], data.y[i : i + 250]
        x_adv = textbook_pgd(model, x, y)
        with torch.no_grad():
            correct += int((model.logits(x_adv).argmax(1) == y).sum())
    reference = correct / len(data)
    assert abs(pgd_plain.robust_accuracy.value - reference) <= 0.015, (
        pgd_plain.robust_accuracy.value,
        reference,
    )
    early = ATTACKS.create("pgd", {**PGD20, "early_stop": True}, seed=0).run(model, data)
    assert early.robust_accuracy.value <= pgd_plain.robust_accuracy.value + 0.005
    assert early.within_bounds


@pytest.mark.slow
def test_apgd_ce_is_at_least_as_strong_as_pgd20(
    trained_fashion: Trained, pgd_plain: EvasionResult
) -> None:
    model, data = trained_fashion
    apgd = ATTACKS.create("apgd_ce", {"eps": EPS}, seed=0).run(model, data)
    assert apgd.within_bounds
    assert apgd.robust_accuracy.value <= pgd_plain.robust_accuracy.value + 0.01


def _median_l2_of_fooled(model: ModelAdapter, data: TensorData, res: EvasionResult) -> float:
    assert res.examples is not None
    fooled = (model.predict(res.examples) != data.y) & (model.predict(data.x) == data.y)
    assert fooled.float().mean() > 0.8
    return float((res.examples - data.x).flatten(1).norm(dim=1)[fooled].median())


@pytest.mark.slow
def test_cw_and_deepfool_find_small_l2_perturbations(trained_fashion: Trained) -> None:
    model, data = trained_fashion
    data = data.subset(torch.arange(100))
    cw = ATTACKS.create("cw", {}).run(model, data)  # defaults: 9 x 100 Adam steps
    deepfool = ATTACKS.create("deepfool", {}).run(model, data)
    assert cw.within_bounds and deepfool.within_bounds
    cw_median = _median_l2_of_fooled(model, data, cw)
    deepfool_median = _median_l2_of_fooled(model, data, deepfool)
    # PGD-20 at L∞ 0.1 moves images by L2 ≈ 2; a minimum-norm attack needs far less.
    assert 0 < cw_median < 1.5
    assert 0 < deepfool_median < 1.5
    assert deepfool_median >= 0.8 * cw_median, (deepfool_median, cw_median)


# --- PGD early exit on the digits model (fast) --------------------------------------------


class CountingAdapter(ModelAdapter):
    """Counts the images that go through the model."""

    seen = 0

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        self.seen += len(x)
        return super().logits(x)


def _counting(model: ModelAdapter) -> CountingAdapter:
    return CountingAdapter(
        model.module, input_shape=model.input_shape, num_classes=model.num_classes
    )


@pytest.mark.parametrize("norm,eps", [("linf", 0.1), ("l2", 0.8)])
def test_early_exit_never_raises_robust_accuracy(
    norm: str, eps: float, trained_digits: Trained
) -> None:
    model, data = trained_digits
    params = {"eps": eps, "norm": norm, "steps": 10, "restarts": 2}
    plain = ATTACKS.create("pgd", {**params, "early_stop": False}, seed=5).run(model, data)
    early = ATTACKS.create("pgd", {**params, "early_stop": True}, seed=5).run(model, data)
    assert early.robust_accuracy.value <= plain.robust_accuracy.value
    assert early.within_bounds
    # Examples the plain run broke at its final step, early exit breaks too.
    assert plain.examples is not None and early.examples is not None
    broken_plain = model.predict(plain.examples) != data.y
    broken_early = model.predict(early.examples) != data.y
    assert (broken_early | ~broken_plain).float().mean() > 0.98


def test_early_exit_spends_less_work(trained_digits: Trained) -> None:
    model, data = trained_digits
    counted = _counting(model)
    params = {"eps": 0.2, "steps": 20}
    ATTACKS.create("pgd", {**params, "early_stop": False}).generate(counted, data.x, data.y)
    plain_work, counted.seen = counted.seen, 0
    ATTACKS.create("pgd", {**params, "early_stop": True}).generate(counted, data.x, data.y)
    assert plain_work == len(data) * 20
    assert counted.seen < plain_work / 3


def test_without_early_exit_pgd_is_the_plain_loop(trained_digits: Trained) -> None:
    """One full step from x, no random start: exactly FGSM."""
    model, data = trained_digits
    params = {"eps": 0.1, "steps": 1, "step_size": 0.1, "random_start": False}
    pgd, _ = ATTACKS.create("pgd", {**params, "early_stop": False}).generate(model, data.x, data.y)
    fgsm, _ = ATTACKS.create("fgsm", {"eps": 0.1}).generate(model, data.x, data.y)
    assert torch.allclose(pgd, fgsm, atol=1e-6)
    # With early exit, examples misclassified from the start stay where they are.
    early, _ = ATTACKS.create("pgd", {**params, "early_stop": True}).generate(model, data.x, data.y)
    wrong = model.predict(data.x) != data.y
    assert wrong.any()
    assert torch.equal(early[wrong], data.x[wrong])


def test_targeted_early_exit_reaches_target(trained_digits: Trained) -> None:
    model, data = trained_digits
    params = {"eps": 0.3, "steps": 30, "targeted": True, "target_class": 3, "restarts": 2}
    res = ATTACKS.create("pgd", params).run(model, data)
    assert res.examples is not None
    assert (model.predict(res.examples) == 3).float().mean() > 0.8
