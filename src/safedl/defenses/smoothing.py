"""Randomized smoothing: prediction with abstention and certified L2 radii (Cohen et al., 2019).

Paper: Cohen, Rosenfeld, Kolter, "Certified Adversarial Robustness via Randomized Smoothing",
ICML 2019. The smoothed classifier g(x) = argmax_c P(f(x + δ) = c), δ ~ N(0, σ²I), is
robust within the L2 radius σ·Φ⁻¹(p_A) when its top class has probability p_A > ½.

* :meth:`SmoothedClassifier.predict` — PREDICT: ``n`` noisy votes, the top two classes' counts
  tested with a two-sided binomial test at level α; abstain (:data:`ABSTAIN`) unless the top
  class wins significantly. Returns a wrong class with probability at most α.
* :meth:`SmoothedClassifier.certify` — CERTIFY: ``n0`` votes pick the top class, ``n`` fresh
  votes bound its probability from below (one-sided Clopper–Pearson at level α); abstain when
  that bound is ≤ ½, else the certified radius σ·Φ⁻¹(p_lower). With probability ≥ 1 − α the
  certificate is correct. A finite ``n`` caps the radius at :func:`radius_cap` σ·Φ⁻¹(α^(1/n))
  (1.50σ at n = 100, 2.46σ at 1 000, 3.20σ at 10 000, α = 0.001).
* :func:`certified_accuracy` (share certified correct at radius ≥ r, never increasing in r) and
  :func:`average_certified_radius`.
* :class:`SmoothedModule` — the smoothed classifier as a module, to deploy and to attack:
  ``votes`` noisy copies per image, output log vote frequencies (hard votes: zero gradient);
  with ``straight_through`` the forward pass stays the hard vote and the backward pass is that of
  the mean softmax (the SmoothAdv objective of Salman et al., 2019).

Everything is batched over images and noise draws; noise is added to the [0, 1] image without
clipping (as in the paper), before the network's normalisation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from scipy.stats import beta, binom, norm
from torch import nn

from safedl.defenses.input.base import piecewise_constant
from safedl.evaluation.metrics import Rate, rate_of
from safedl.models import ModelAdapter

ABSTAIN = -1


def clopper_pearson_lower(k: np.ndarray, n: int, alpha: float) -> np.ndarray:
    """One-sided (1 − α) Clopper–Pearson lower bound of a binomial proportion (0 where k = 0)."""
    k = np.asarray(k, dtype=np.float64)
    safe = np.maximum(k, 1.0)
    return np.where(k > 0, beta.ppf(alpha, safe, n - safe + 1), 0.0)


def radius_cap(sigma: float, n: int, alpha: float) -> float:
    """Largest radius CERTIFY can return with ``n`` samples: all ``n`` votes for one class."""
    return float(sigma * norm.ppf(alpha ** (1.0 / n)))


def certified_accuracy(
    radii: torch.Tensor, correct: torch.Tensor, at: Sequence[float]
) -> list[Rate]:
    """Share of points certified correct with radius ≥ r, for each r in ``at`` (95% CIs).

    Args:
        radii: ``[N]`` certified radii (ignored where abstained or wrong).
        correct: ``[N]`` bool, the certified (non-abstaining) label equals the true label.
        at: Radii at which to report.
    """
    return [rate_of(correct & (radii >= r)) for r in at]


def average_certified_radius(radii: torch.Tensor, correct: torch.Tensor) -> float:
    """Mean over all points of the certified radius, counting 0 where wrong or abstained."""
    return float(torch.where(correct, radii, torch.zeros_like(radii)).mean().item())


class SmoothedClassifier:
    """Monte-Carlo smoothed classifier around ``base`` with noise level ``sigma``.

    Args:
        base: The base classifier (trained with Gaussian noise for a useful g).
        sigma: Standard deviation of the noise, in [0, 1] pixel units.
        batch_size: Noisy images per forward pass.
        seed: Seed of the noise (each call starts from it, so results are reproducible).
    """

    def __init__(
        self, base: ModelAdapter, sigma: float, *, batch_size: int = 1000, seed: int = 0
    ) -> None:
        if sigma <= 0:
            raise ValueError(f"sigma must be positive, got {sigma}")
        self.base, self.sigma, self.batch_size, self.seed = base, sigma, batch_size, seed

    @classmethod
    def of(cls, deployed: ModelAdapter, **kwargs: Any) -> SmoothedClassifier:
        """The smoothed classifier behind a deployed :class:`SmoothedModule` adapter (the
        ``model`` of the ``randomized_smoothing`` defense), to certify or predict with it."""
        module = deployed.module
        if not isinstance(module, SmoothedModule):
            raise TypeError(f"expected an adapter around a SmoothedModule, got {type(module)}")
        base = ModelAdapter(
            module.network,
            input_shape=deployed.input_shape,
            num_classes=deployed.num_classes,
            device=deployed.device,
        )
        return cls(base, float(module.sigma), **kwargs)

    def counts(self, x: torch.Tensor, n: int, generator: torch.Generator) -> torch.Tensor:
        """``[B, K]`` votes of the base classifier over ``n`` noisy copies of each image."""
        device, k = self.base.device, self.base.num_classes
        draws = max(1, min(n, self.batch_size))
        per_pass = max(1, self.batch_size // draws)
        out = torch.zeros(len(x), k, dtype=torch.long)
        with self.base.attack_mode(), torch.inference_mode():
            for i in range(0, len(x), per_pass):
                xb = x[i : i + per_pass].to(device)
                votes = torch.zeros(len(xb), k, dtype=torch.long, device=device)
                for done in range(0, n, draws):
                    m = min(draws, n - done)
                    rep = xb.repeat_interleave(m, dim=0)
                    noise = torch.randn(rep.shape, generator=generator, device=device)
                    pred = self.base.logits(rep + self.sigma * noise).argmax(1).view(len(xb), m)
                    votes.scatter_add_(1, pred, torch.ones_like(pred))
                out[i : i + len(xb)] = votes.cpu()
        return out

    def _generator(self) -> torch.Generator:
        return torch.Generator(device=self.base.device).manual_seed(self.seed)

    def predict(self, x: torch.Tensor, n: int = 100, alpha: float = 0.001) -> torch.Tensor:
        """PREDICT: ``[B]`` labels, :data:`ABSTAIN` (-1) where the vote is not significant."""
        counts = self.counts(x, n, self._generator())
        top2 = counts.topk(2, dim=1)
        n_a, n_b = top2.values[:, 0].numpy(), top2.values[:, 1].numpy()
        p_value = np.minimum(1.0, 2.0 * binom.cdf(n_b, n_a + n_b, 0.5))
        labels = top2.indices[:, 0].clone()
        labels[torch.from_numpy(p_value > alpha)] = ABSTAIN
        return labels

    def certify(
        self, x: torch.Tensor, n0: int = 100, n: int = 1000, alpha: float = 0.001
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """CERTIFY: ``([B] labels or ABSTAIN, [B] certified L2 radii, 0 where abstained)``."""
        gen = self._generator()
        guess = self.counts(x, n0, gen).argmax(1)
        n_a = self.counts(x, n, gen).gather(1, guess.view(-1, 1)).squeeze(1)
        p_lower = clopper_pearson_lower(n_a.numpy(), n, alpha)
        certified = torch.from_numpy(p_lower > 0.5)
        radii = torch.from_numpy(self.sigma * norm.ppf(np.clip(p_lower, 0.5, 1.0))).float()
        radii = torch.where(certified, radii, torch.zeros_like(radii))
        labels = torch.where(certified, guess, torch.full_like(guess, ABSTAIN))
        return labels, radii


class SmoothedModule(nn.Module):
    """g as a module on [0, 1] images: log vote frequencies over ``votes`` noisy copies.

    Args:
        network: Base classifier on [0, 1] images (normalisation inside).
        sigma: Noise level.
        votes: Noisy copies per image and forward pass.
        straight_through: Backward pass through the mean softmax instead of the hard votes'
            zero gradient (forward unchanged).
        max_batch: Noisy images per pass of the network (bounds activation memory when the
            forward pass needs no gradient).
    """

    sigma: torch.Tensor

    def __init__(
        self,
        network: nn.Module,
        sigma: float,
        votes: int,
        *,
        straight_through: bool = False,
        max_batch: int = 4096,
    ) -> None:
        super().__init__()
        self.network = network
        self.register_buffer("sigma", torch.tensor(float(sigma)))
        self.votes, self.straight_through, self.max_batch = votes, straight_through, max_batch

    def _freq(self, x: torch.Tensor) -> torch.Tensor:
        n = len(x)
        rep = x.repeat_interleave(self.votes, dim=0)
        logits = self.network(rep + self.sigma * torch.randn_like(rep))
        logits = logits.view(n, self.votes, -1)
        hard = nn.functional.one_hot(logits.argmax(2), logits.shape[2]).to(logits.dtype)
        if self.straight_through:
            soft = logits.softmax(2)
            hard = hard + soft - soft.detach()
        return hard.mean(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.straight_through and torch.is_grad_enabled():
            freq = self._freq(x)
        else:
            step = max(1, self.max_batch // self.votes)
            with torch.no_grad():
                freq = torch.cat([self._freq(x[i : i + step]) for i in range(0, len(x), step)])
            freq = piecewise_constant(x, freq)  # hard votes: zero gradient
        return torch.log(freq + 1e-4)

    def extra_repr(self) -> str:
        return f"sigma={float(self.sigma):g}, votes={self.votes}, st={self.straight_through}"


__all__ = [
    "ABSTAIN",
    "SmoothedClassifier",
    "SmoothedModule",
    "average_certified_radius",
    "certified_accuracy",
    "clopper_pearson_lower",
    "radius_cap",
]
