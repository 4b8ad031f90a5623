"""Adaptive attack views (BPDA, EOT) and adaptive_run, on the digits model.

* EOT averages the softmax over its draws (exactly the model's own output when nothing is
  random), its gradient is closer to the expected gradient than one draw's, and splitting the
  draws into checkpointed passes changes neither outputs nor gradients;
* the view follows the defense's declaration (plain, BPDA, EOT, BPDA + EOT with ≥ 20 draws);
* adaptive_run scores on the real defended model, never on the view, and flags a view whose
  forward pass disagrees with it;
* registered white-box attacks run unchanged on the views; black-box attacks query the deployed
  model.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from safedl.attacks.evasion.adaptive import (
    MIN_EOT_SAMPLES,
    EOTModule,
    adaptive_run,
    attack_view,
    eot_view,
)
from safedl.data import TensorData
from safedl.defenses.base import AdaptiveNeeds, DefendedModel, DefenseCost
from safedl.defenses.input.base import StraightThrough
from safedl.defenses.input.bit_depth import Quantize
from safedl.models import ModelAdapter
from safedl.registry import ATTACKS

Trained = tuple[ModelAdapter, TensorData]


class Noisy(nn.Module):
    """Gaussian noise on the input, then the network: a randomised model."""

    def __init__(self, network: nn.Module, sigma: float) -> None:
        super().__init__()
        self.network, self.sigma = network, sigma

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.network(x + self.sigma * torch.randn_like(x))
        return out


def _adapter(module: nn.Module, like: ModelAdapter) -> ModelAdapter:
    return ModelAdapter(
        module,
        input_shape=like.input_shape,
        num_classes=like.num_classes,
        normalization=like.normalization,
    )


def _defended(
    model: ModelAdapter,
    needs: AdaptiveNeeds,
    bpda: ModelAdapter | None = None,
) -> DefendedModel:
    return DefendedModel(
        defense="test",
        kind="input",
        params={},
        model=model,
        model_id="test",
        adaptive=needs,
        cost=DefenseCost(train_seconds=0.0, latency_ms=1.0, baseline_latency_ms=1.0),
        bpda_model=bpda,
    )


def test_eot_of_a_deterministic_model_is_its_log_softmax(trained_digits: Trained) -> None:
    model, data = trained_digits
    x = data.x[:16]
    with torch.no_grad():
        assert torch.allclose(
            eot_view(model, 20).logits(x), F.log_softmax(model.logits(x), 1), atol=1e-5
        )


def test_eot_averages_probabilities_over_fresh_draws(trained_digits: Trained) -> None:
    model, data = trained_digits
    noisy = Noisy(model.module, 0.3)
    x = data.x[:8]
    torch.manual_seed(5)
    with torch.no_grad():
        out = EOTModule(noisy, 20)(x)
    torch.manual_seed(5)
    with torch.no_grad():
        draws = F.softmax(noisy(x.repeat(20, 1, 1, 1)), 1).view(20, 8, -1)
    assert torch.allclose(out, draws.mean(0).log(), atol=1e-5)


def test_eot_gradient_is_closer_to_the_expected_gradient(trained_digits: Trained) -> None:
    model, data = trained_digits
    x, y = data.x[:32], data.y[:32]
    noisy = Noisy(model.module, 0.3)

    def grad(module: nn.Module, seed: int) -> torch.Tensor:
        torch.manual_seed(seed)
        z = x.clone().requires_grad_(True)
        (g,) = torch.autograd.grad(F.cross_entropy(module(z), y, reduction="sum"), z)
        return g.flatten(1)

    reference = grad(EOTModule(noisy, 400, max_batch=100_000), 0)
    one = F.cosine_similarity(grad(noisy, 1), reference).mean()
    twenty = F.cosine_similarity(grad(EOTModule(noisy, 20), 2), reference).mean()
    assert float(twenty) > float(one) + 0.1, (float(one), float(twenty))


def test_checkpointed_passes_give_the_same_outputs_and_gradients(trained_digits: Trained) -> None:
    model, data = trained_digits
    x, y = data.x[:10], data.y[:10]
    noisy = Noisy(model.module, 0.3)
    results = []
    for max_batch in (10_000, 30):  # one pass of 200 images / seven checkpointed passes
        torch.manual_seed(9)
        z = x.clone().requires_grad_(True)
        out = EOTModule(noisy, 20, max_batch=max_batch)(z)
        (g,) = torch.autograd.grad(F.cross_entropy(out, y), z)
        results.append((out.detach(), g))
    assert torch.allclose(results[0][0], results[1][0], atol=1e-5)
    assert torch.allclose(results[0][1], results[1][1], atol=1e-6)


def test_the_view_follows_the_declaration(trained_digits: Trained) -> None:
    model, _ = trained_digits
    bpda = _adapter(nn.Sequential(StraightThrough(Quantize(2)), model.module), model)
    cases = [
        (AdaptiveNeeds(), None, "plain"),
        (AdaptiveNeeds(differentiable=False), bpda, "bpda"),
        (AdaptiveNeeds(randomized=True), None, "eot-20"),
        (AdaptiveNeeds(randomized=True, eot_samples=5), None, f"eot-{MIN_EOT_SAMPLES}"),
        (AdaptiveNeeds(randomized=True, eot_samples=40), None, "eot-40"),
        (AdaptiveNeeds(differentiable=False, randomized=True), bpda, "bpda+eot-20"),
    ]
    for needs, bpda_model, name in cases:
        view, got = attack_view(_defended(model, needs, bpda_model))
        assert got == name
        if name == "plain":
            assert view is model
        if name.startswith("bpda+eot"):
            assert isinstance(view.module, EOTModule) and view.module.inner is bpda.module
    with pytest.raises(ValueError, match="no bpda_model"):
        attack_view(_defended(model, AdaptiveNeeds(differentiable=False)))


def test_adaptive_run_scores_on_the_real_model_not_the_view(trained_digits: Trained) -> None:
    model, data = trained_digits
    torch.manual_seed(0)
    other = _adapter(nn.Sequential(nn.Flatten(), nn.Linear(64, 10)), model)  # a wrong view
    defended = _defended(model, AdaptiveNeeds(differentiable=False), bpda=other)
    attack = ATTACKS.create("pgd", {"eps": 0.1, "steps": 10}, seed=0)
    result = adaptive_run(attack, defended, data)
    assert result.view == "bpda"
    assert result.examples is not None
    clean_ok = model.predict(data.x) == data.y
    adv_ok = model.predict(result.examples) == data.y
    assert result.robust_accuracy.k == int((clean_ok & adv_ok).sum())
    assert result.clean_accuracy.k == int(clean_ok.sum())
    # the view believed something else, and the disagreement is flagged
    assert result.view_robust_accuracy.k != result.robust_accuracy.k
    assert any("differ" in f for f in result.flags)
    assert result.to_dict()["robust_accuracy"]["n"] == len(data)


def test_bpda_through_a_quantiser_beats_plain_pgd(trained_digits: Trained) -> None:
    model, data = trained_digits
    real = _adapter(nn.Sequential(Quantize(2), model.module), model)
    bpda = _adapter(nn.Sequential(StraightThrough(Quantize(2)), model.module), model)
    defended = _defended(real, AdaptiveNeeds(differentiable=False), bpda)
    params = {"eps": 0.1, "steps": 20, "step_size": 0.01}
    plain = ATTACKS.create("pgd", params, seed=0).run(real, data)
    adaptive = adaptive_run(ATTACKS.create("pgd", params, seed=0), defended, data)
    assert adaptive.zero_gradient_share == 1.0
    assert adaptive.forward_agreement.value == 1.0 and not any(
        "differ" in f for f in adaptive.flags
    )
    assert adaptive.robust_accuracy.value < plain.robust_accuracy.value - 0.1


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("fgsm", {"eps": 0.1}),
        ("pgd", {"eps": 0.1, "steps": 5}),
        ("pgd", {"eps": 0.5, "norm": "l2", "steps": 5}),
        ("apgd_ce", {"eps": 0.1, "steps": 5}),
        ("deepfool", {"eps": 0.5, "norm": "l2", "steps": 5}),
    ],
)
def test_registered_white_box_attacks_run_unchanged_on_the_views(
    trained_digits: Trained, name: str, params: dict[str, float]
) -> None:
    model, data = trained_digits
    data = data.subset(torch.arange(24))
    random_bpda = _adapter(
        Noisy(nn.Sequential(StraightThrough(Quantize(3)), model.module), 0.1), model
    )
    random_real = _adapter(Noisy(nn.Sequential(Quantize(3), model.module), 0.1), model)
    defended = _defended(
        random_real, AdaptiveNeeds(differentiable=False, randomized=True), random_bpda
    )
    result = adaptive_run(ATTACKS.create(name, params, seed=0), defended, data, batch_size=12)
    assert result.view == "bpda+eot-20"
    assert result.examples is not None and result.examples.shape == data.x.shape
    assert float(result.examples.min()) >= 0.0 and float(result.examples.max()) <= 1.0
    assert result.view_zero_gradient_share < 0.5


def test_black_box_attacks_query_the_deployed_model(trained_digits: Trained) -> None:
    model, data = trained_digits
    real = _adapter(nn.Sequential(Quantize(2), model.module), model)
    bpda = _adapter(nn.Sequential(StraightThrough(Quantize(2)), model.module), model)
    defended = _defended(real, AdaptiveNeeds(differentiable=False), bpda)
    attack = ATTACKS.create("square", {"eps": 0.1, "max_queries": 50}, seed=0)
    result = adaptive_run(attack, defended, data.subset(torch.arange(20)))
    assert result.view == "deployed"
    assert result.view_robust_accuracy.k == result.robust_accuracy.k
