"""RMIA — Robust Membership Inference Attack (relative likelihood against population samples).

Paper: Zarifzadeh, Liu, Shokri, "Low-Cost High-Power Membership Inference Attacks", ICML 2024.
Threat: black-box scores; one query per candidate plus one per population sample ``z``; the
attacker trains ``references`` models like the target (the shadows LiRA uses, shared through
the artifact store).
Parameters: ``references`` (even), ``online`` (``p(x)`` averages all reference models; offline
averages the OUT ones and corrects with ``offline_a``), ``offline_a`` (the paper's ``a`` in
``p(x) ≈ ((1 + a) · p_OUT(x) + (1 - a)) / 2``, default 0.3 as in the reference code),
``gamma`` (likelihood-ratio threshold γ), ``population_samples`` (how many ``z``).
Reports: AUC, balanced accuracy (best threshold), TPR at 1% / 0.1% FPR, ROC, per-class AUC.

For a candidate ``x`` and each population sample ``z``:
``LR(x, z) = (p(x | θ) / p(x)) / (p(z | θ) / p(z))`` with ``p(· | θ)`` the target's true-class
probability and ``p(·)`` its average over reference models; the score is the share of ``z``
with ``LR(x, z) >= γ``. Population examples are IN for half of the references too, so ``p(z)``
is averaged over the same kind of models as ``p(x)`` (online) or over the OUT ones (offline).
"""

from __future__ import annotations

import torch
from pydantic import Field
from torch import Tensor

from safedl.attacks.privacy.base import MembershipAttack
from safedl.attacks.privacy.shadows import train_shadows
from safedl.attacks.privacy.signals import EPS, true_class_prob
from safedl.attacks.privacy.target import PrivacyTarget
from safedl.data import TensorData
from safedl.errors import ConfigError, DataError
from safedl.models import Oracle
from safedl.registry import ATTACKS, PluginConfig


def reference_mean(p: Tensor, out_mask: Tensor, online: bool, a: float) -> Tensor:
    """``p(x)`` from reference probabilities ``p [k, N]`` (``out_mask``: reference never saw x)."""
    if online:
        return p.mean(0)
    w = out_mask.double()
    p_out = (p * w).sum(0) / w.sum(0).clamp_min(1)
    return (1 + a) / 2 * p_out + (1 - a) / 2


@ATTACKS.register(
    "rmia",
    family="privacy",
    access="scores",
    paper="Zarifzadeh et al., Low-Cost High-Power Membership Inference Attacks, ICML 2024",
)
class RMIA(MembershipAttack):
    """Pairwise likelihood ratios against population samples (Zarifzadeh et al., 2024)."""

    class Config(PluginConfig):
        """RMIA parameters."""

        references: int = Field(8, ge=2, le=256, description="Reference models (even).")
        online: bool = Field(False, description="Use IN and OUT references (online).")
        offline_a: float = Field(0.3, ge=0, le=1, description="Offline correction a.")
        gamma: float = Field(1.0, gt=0, description="Likelihood-ratio threshold γ.")
        population_samples: int = Field(1000, ge=1, description="Population samples z.")

    config: Config

    def __init__(self, config: PluginConfig, *, seed: int = 0) -> None:
        super().__init__(config, seed=seed)
        if self.config.references % 2:
            raise ConfigError(f"rmia.params.references must be even, got {self.config.references}")
        self._px: Tensor | None = None
        self._pz: Tensor | None = None
        self._z: TensorData | None = None

    def prepare(self, target: PrivacyTarget) -> None:
        if len(target.population) == 0:
            raise DataError("rmia needs population data for its z samples and references")
        refs = train_shadows(target, self.config.references)
        cand = target.candidates
        m = min(self.config.population_samples, len(target.population))
        z_idx = torch.randperm(len(target.population), generator=self.generator)[:m]
        z = target.population.subset(z_idx)
        a, online = self.config.offline_a, self.config.online
        px = torch.stack(
            [true_class_prob(r.predict_proba(cand.x).double(), cand.y) for r in refs.models]
        )
        pz = torch.stack([true_class_prob(r.predict_proba(z.x).double(), z.y) for r in refs.models])
        self._px = reference_mean(px, ~refs.keep, online, a)
        self._pz = reference_mean(pz, ~refs.population_keep[:, z_idx], online, a)
        self._z = z
        self.extra["shadows"] = refs.summary()
        self.extra["population_samples"] = m

    def infer(self, oracle: Oracle, members: TensorData, non_members: TensorData) -> Tensor:
        if self._px is None or self._pz is None or self._z is None:
            raise RuntimeError("rmia: prepare() must run before infer()")
        x = torch.cat([members.x, non_members.x])
        y = torch.cat([members.y, non_members.y])
        answers = oracle(torch.cat([x, self._z.x])).double()
        target_x = true_class_prob(answers[: len(x)], y)
        target_z = true_class_prob(answers[len(x) :], self._z.y)
        ratio_x = target_x / self._px.clamp_min(EPS)
        ratio_z, _ = torch.sort(target_z / self._pz.clamp_min(EPS))
        # LR(x, z) >= γ  ⇔  ratio_z <= ratio_x / γ: count with one sorted search.
        below = torch.searchsorted(ratio_z, ratio_x / self.config.gamma, right=True)
        return below.double() / len(ratio_z)


__all__ = ["RMIA", "reference_mean"]
