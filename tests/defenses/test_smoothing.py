"""Randomized smoothing: certificates, their limits, noise training, and an adaptive attack.

* the radius cap σ·Φ⁻¹(α^(1/n)) matches the published 1.50σ / 2.46σ / 3.20σ and CERTIFY never
  exceeds it;
* on a linear base classifier, where the smoothed classifier and its exact certified radius
  (the distance to the hyperplane) are known in closed form, CERTIFY's radii are sound and close;
* certified accuracy never increases with the radius;
* Gaussian-noise training draws fresh noise at every step and for every sample;
* PGD-L2 with EOT against the smoothed classifier finds no adversarial example inside a
  certified radius, while the same attack beyond the certifiable radius does succeed.
"""

from __future__ import annotations

import math

import pytest
import torch
from scipy.stats import binomtest
from torch import nn

from safedl.attacks.evasion.adaptive import adaptive_run
from safedl.defenses.base import DefendedModel, DefenseContext
from safedl.defenses.smoothing import (
    ABSTAIN,
    SmoothedClassifier,
    SmoothedModule,
    average_certified_radius,
    certified_accuracy,
    clopper_pearson_lower,
    radius_cap,
)
from safedl.models import ModelAdapter
from safedl.registry import ATTACKS, DEFENSES

D = 16


class Linear(nn.Module):
    """Two classes split by the hyperplane w·x = b: class 0 where w·x > b."""

    def __init__(self, w: torch.Tensor, b: float) -> None:
        super().__init__()
        self.w, self.b = w, b

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        score = x.flatten(1) @ self.w - self.b
        return torch.stack([score, -score], dim=1)


def _linear() -> tuple[ModelAdapter, torch.Tensor]:
    torch.manual_seed(0)
    w = torch.randn(D)
    return ModelAdapter(Linear(w, 0.0), input_shape=(1, 1, D), num_classes=2), w


@pytest.mark.parametrize(("n", "factor"), [(100, 1.50), (1000, 2.46), (10_000, 3.20)])
def test_radius_cap_matches_the_published_values(n: int, factor: float) -> None:
    assert radius_cap(1.0, n, 0.001) == pytest.approx(factor, abs=0.006)
    assert radius_cap(0.5, n, 0.001) == pytest.approx(0.5 * radius_cap(1.0, n, 0.001))


def test_certify_is_capped_by_the_sample_size() -> None:
    constant = ModelAdapter(
        nn.Sequential(nn.Flatten(), nn.Linear(D, 3)), input_shape=(1, 1, D), num_classes=3
    )
    with torch.no_grad():
        constant.module[1].weight.zero_()
        constant.module[1].bias.copy_(torch.tensor([0.0, 5.0, 0.0]))  # always class 1
    smoothed = SmoothedClassifier(constant, sigma=0.5)
    for n in (100, 1000):
        labels, radii = smoothed.certify(torch.rand(4, 1, 1, D), n0=10, n=n, alpha=0.001)
        assert labels.tolist() == [1] * 4
        assert torch.allclose(radii, torch.full((4,), radius_cap(0.5, n, 0.001)), atol=1e-5)


def test_clopper_pearson_lower_bound_is_scipys_exact_interval() -> None:
    n, alpha = 200, 0.01
    for k in (0, 1, 57, 150, 199, 200):
        exact = binomtest(k, n).proportion_ci(confidence_level=1 - 2 * alpha, method="exact")
        assert clopper_pearson_lower(k, n, alpha) == pytest.approx(exact.low, abs=1e-9)


def test_certified_radii_on_a_linear_classifier_are_sound_and_tight() -> None:
    """For f(x) = [w·x > 0], g's exact radius is the distance |w·x| / ‖w‖ to the hyperplane."""
    model, w = _linear()
    sigma = 0.5
    torch.manual_seed(1)
    direction = w / w.norm()
    distance = torch.linspace(-1.2, 1.2, 41)
    x = (torch.randn(41, D) * 0.3 + distance[:, None] * direction).view(41, 1, 1, D)
    true_distance = (x.flatten(1) @ w) / w.norm()
    label = (true_distance <= 0).long()
    smoothed = SmoothedClassifier(model, sigma=sigma, seed=3)
    labels, radii = smoothed.certify(x, n0=100, n=10_000, alpha=0.001)
    certified = labels != ABSTAIN
    assert bool((labels[certified] == label[certified]).all())
    assert bool((radii[certified] <= true_distance.abs()[certified] + 1e-6).all())
    # tight: what CERTIFY returns with the expected vote count n·p_A (p_A = Φ(d/σ), exact
    # here), up to the binomial noise of the count
    p_a = torch.distributions.Normal(0.0, 1.0).cdf(true_distance.abs() / sigma).double()
    expected_k = (10_000 * p_a).round().numpy()
    p_low = torch.from_numpy(clopper_pearson_lower(expected_k, 10_000, 0.001)).clamp(0.5, 1.0)
    expected = sigma * torch.distributions.Normal(0.0, 1.0).icdf(p_low).float()
    gap = (radii - expected)[certified]
    assert float(gap.abs().max()) < 0.05, gap
    # every point farther than 0.1 from the boundary (and under the cap) is certified
    assert bool(certified[(true_distance.abs() > 0.1)].all())
    # PREDICT returns the right class or abstains, and abstains next to the boundary
    pred = smoothed.predict(x, n=1000, alpha=0.001)
    assert bool(((pred == label) | (pred == ABSTAIN)).all())
    assert bool((pred[true_distance.abs() > 0.2] == label[true_distance.abs() > 0.2]).all())
    flat = x.flatten(1)[:5]
    on_plane = (flat - (flat @ w / (w @ w))[:, None] * w).view(5, 1, 1, D)  # p_A = 1/2
    assert int((smoothed.predict(on_plane, n=1000, alpha=0.001) == ABSTAIN).sum()) >= 4


def test_certified_accuracy_never_increases_with_the_radius() -> None:
    torch.manual_seed(0)
    radii = torch.rand(500) * 2
    correct = torch.rand(500) > 0.3
    at = [0.0, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5]
    curve = [r.value for r in certified_accuracy(radii, correct, at)]
    assert curve == sorted(curve, reverse=True)
    assert curve[0] == pytest.approx(correct.float().mean().item())
    assert curve[-1] == 0.0
    acr = average_certified_radius(radii, correct)
    assert acr == pytest.approx(float((radii * correct).mean()))


def test_noise_training_draws_fresh_noise_every_step_and_sample() -> None:
    defense = DEFENSES.create("randomized_smoothing", {"sigma": 0.5}, seed=0)
    model, _ = _linear()
    loss = defense.loss(model)
    seen: list[torch.Tensor] = []

    def record(z: torch.Tensor) -> torch.Tensor:
        seen.append(z.detach().clone())
        return model.logits(z)

    x = torch.full((8, 1, 1, D), 0.5)  # eight identical images
    y = torch.zeros(8, dtype=torch.long)
    loss(record, x, y)
    loss(record, x, y)
    first, second = seen[0] - x, seen[1] - x
    assert not torch.allclose(first, second)  # a new draw at the next step
    assert not torch.allclose(first[0], first[1])  # and per sample
    assert first.std().item() == pytest.approx(0.5, rel=0.15)


def test_smoothed_module_votes_and_its_straight_through_gradient() -> None:
    model, _ = _linear()
    x = torch.rand(5, 1, 1, D, requires_grad=True)
    hard = SmoothedModule(model.module, 0.25, votes=50)
    st = SmoothedModule(model.module, 0.25, votes=50, straight_through=True)
    torch.manual_seed(0)
    out_hard = hard(x)
    torch.manual_seed(0)
    out_st = st(x)
    assert torch.allclose(out_hard, out_st)  # same forward pass (same draws)
    freq = out_hard.exp() - 1e-4
    assert torch.allclose(freq.sum(1), torch.ones(5), atol=1e-5)
    (g_hard,) = torch.autograd.grad(out_hard[:, 0].sum(), x)
    (g_st,) = torch.autograd.grad(out_st[:, 0].sum(), x)
    assert float(g_hard.abs().max()) == 0.0
    assert float(g_st.abs().max()) > 0.0


@pytest.fixture(scope="module")
def smoothed_digits(digits_ctx: DefenseContext) -> DefendedModel:
    params = {"sigma": 0.25, "votes": 100, "certify_samples": 60, "n": 1000}
    return DEFENSES.create("randomized_smoothing", params, seed=0).apply(digits_ctx)


def test_the_defense_reports_its_certificates_and_cost(smoothed_digits: DefendedModel) -> None:
    d = smoothed_digits
    assert d.adaptive.randomized and not d.adaptive.differentiable
    cert = d.metrics["certified"]
    assert cert["radius_cap"] == pytest.approx(radius_cap(0.25, 1000, 0.001))
    values = [p["value"] for p in cert["curve"]]
    assert values == sorted(values, reverse=True)
    assert values[0] > 0.8  # the noise-trained digits model is mostly certified at r = 0
    assert 0 < cert["average_certified_radius"] <= cert["radius_cap"]
    assert d.metrics["clean_accuracy"]["value"] > 0.85
    assert d.cost.latency_ratio > 5  # 100 votes per prediction
    assert d.cost.train_seconds > 0 and not d.cost.reused


@pytest.mark.slow
def test_eot_pgd_finds_no_adversarial_example_inside_a_certified_radius(
    digits_ctx: DefenseContext, smoothed_digits: DefendedModel
) -> None:
    eps = 0.3
    data = digits_ctx.splits.test.subset(torch.arange(60))
    smoothed = SmoothedClassifier.of(smoothed_digits.model, seed=7)
    labels, radii = smoothed.certify(data.x, n0=100, n=1000, alpha=0.001)
    inside = (labels == data.y) & (radii > eps)
    assert int(inside.sum()) >= 20
    attack = ATTACKS.create(
        "pgd", {"eps": eps, "norm": "l2", "steps": 20, "early_stop": False}, seed=0
    )
    result = adaptive_run(attack, smoothed_digits, data, batch_size=60)
    assert result.view == "bpda+eot-20"
    pred = SmoothedClassifier.of(smoothed_digits.model, seed=11).predict(
        result.examples, n=1000, alpha=0.001
    )
    broken = inside & (pred != labels) & (pred != ABSTAIN)
    assert int(broken.sum()) == 0
    # The same attack is real: far beyond the certifiable radius it flips most predictions.
    big = ATTACKS.create("pgd", {"eps": 3.0, "norm": "l2", "steps": 20, "early_stop": False})
    far = adaptive_run(big, smoothed_digits, data, batch_size=60)
    assert far.robust_accuracy.value < 0.5 * result.robust_accuracy.value, (
        far.robust_accuracy,
        result.robust_accuracy,
    )
    assert math.isfinite(far.seconds)
