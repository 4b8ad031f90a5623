"""LiRA — the Likelihood Ratio Attack, online and offline.

Paper: Carlini, Chien, Nasr, Song, Terzis, Tramèr, "Membership Inference Attacks From First
Principles", IEEE S&P 2022.
Threat: black-box scores (one query per candidate and augmentation through the Oracle); the
attacker knows the training recipe and has data from the distribution to train ``shadows``.
Parameters: ``shadows`` (even; each candidate is IN for exactly half of them), ``online``
(Gaussian fits of both the IN and the OUT distribution, and their likelihood ratio; offline
uses the OUT half only, with the paper's one-sided test), ``fix_variance`` (one variance pooled
over all candidates instead of one per candidate — what the paper recommends with few
shadows), ``shift`` (query every pixel shift up to this many pixels as well, LiRA's
augmentation; the per-view log-likelihoods are averaged).
Reports: AUC, balanced accuracy (best threshold), TPR at 1% / 0.1% FPR, ROC, per-class AUC,
and the shadows' training summary in ``extra``.

The statistic is the logit-scaled true-class confidence ``φ = log(p_y / (1 - p_y))``, which
makes the per-example distributions approximately Gaussian. Online:
``log N(φ; μ_in, σ_in²) - log N(φ; μ_out, σ_out²)``. Offline: ``log Φ((φ - μ_out) / σ_out)``,
the paper's one-sided test that the target's confidence is higher than OUT models'. The
pooled (fixed) variance is the mean of per-candidate variances, i.e. the spread *within* a
candidate's shadow outputs, not across candidates.
"""

from __future__ import annotations

import math

import torch
from pydantic import Field
from torch import Tensor

from safedl.attacks.privacy.base import MembershipAttack
from safedl.attacks.privacy.shadows import ShadowSet, train_shadows
from safedl.attacks.privacy.signals import answer_views, scaled_logit
from safedl.attacks.privacy.target import PrivacyTarget
from safedl.data import TensorData
from safedl.errors import ConfigError
from safedl.models import Oracle
from safedl.registry import ATTACKS, PluginConfig

#: Smallest standard deviation of a Gaussian fit (a candidate whose shadows all agree).
MIN_STD = 1e-3


def gaussian_logpdf(x: Tensor, mean: Tensor, std: Tensor) -> Tensor:
    """Elementwise ``log N(x; mean, std²)``."""
    return -0.5 * ((x - mean) / std) ** 2 - torch.log(std) - 0.5 * math.log(2 * math.pi)


def fit(signals: Tensor, mask: Tensor, pooled: bool) -> tuple[Tensor, Tensor]:
    """Per-candidate mean and std of ``signals [k, V, N]`` over the shadows where ``mask [k, N]``.

    With ``pooled`` the std is one number per view: the root of the mean per-candidate variance.
    """
    w = mask.unsqueeze(1).double()  # [k, 1, N]
    count = w.sum(0).clamp_min(1)
    mean = (signals * w).sum(0) / count
    var = (((signals - mean) ** 2) * w).sum(0) / count
    if pooled:
        var = var.mean(-1, keepdim=True).expand_as(var)
    return mean, var.sqrt().clamp_min(MIN_STD)


@ATTACKS.register(
    "lira",
    family="privacy",
    access="scores",
    paper="Carlini et al., Membership Inference Attacks From First Principles, IEEE S&P 2022",
)
class LiRA(MembershipAttack):
    """Per-example Gaussian likelihood ratio over shadow models (Carlini et al., 2022)."""

    class Config(PluginConfig):
        """LiRA parameters."""

        shadows: int = Field(8, ge=2, le=256, description="Shadow models (even).")
        online: bool = Field(True, description="Fit IN and OUT (online) or OUT only (offline).")
        fix_variance: bool = Field(
            True, description="One variance pooled over candidates (best with few shadows)."
        )
        shift: int = Field(0, ge=0, le=4, description="Also query pixel shifts up to this.")

    config: Config

    def __init__(self, config: PluginConfig, *, seed: int = 0) -> None:
        super().__init__(config, seed=seed)
        if self.config.shadows % 2:
            raise ConfigError(
                f"lira.params.shadows must be even, got {self.config.shadows}",
                hint="each candidate is IN for exactly half of the shadows",
            )
        self._shadows: ShadowSet | None = None
        self._signals: Tensor | None = None
        self._fingerprint = ""

    def prepare(self, target: PrivacyTarget) -> None:
        shadows = train_shadows(target, self.config.shadows)
        cand = target.candidates
        self._signals = torch.stack(
            [
                scaled_logit(answer_views(m.predict_proba, cand.x, self.config.shift), cand.y)
                for m in shadows.models
            ]
        )  # [k, V, N]
        self._shadows = shadows
        self._fingerprint = cand.fingerprint()
        self.extra["shadows"] = shadows.summary()

    def infer(self, oracle: Oracle, members: TensorData, non_members: TensorData) -> Tensor:
        if self._shadows is None or self._signals is None:
            raise RuntimeError("lira: prepare() must run before infer()")
        x = torch.cat([members.x, non_members.x])
        y = torch.cat([members.y, non_members.y])
        if TensorData(x, y).fingerprint() != self._fingerprint:
            raise ValueError("lira: infer() got other candidates than prepare() trained for")
        phi = scaled_logit(answer_views(oracle, x, self.config.shift), y)  # [V, N]
        keep = self._shadows.keep
        pooled = self.config.fix_variance
        mean_out, std_out = fit(self._signals, ~keep, pooled)
        if not self.config.online:
            z = (phi - mean_out) / std_out
            return torch.special.log_ndtr(z).mean(0)
        mean_in, std_in = fit(self._signals, keep, pooled)
        ratio = gaussian_logpdf(phi, mean_in, std_in) - gaussian_logpdf(phi, mean_out, std_out)
        return ratio.mean(0)


__all__ = ["LiRA", "fit", "gaussian_logpdf"]
