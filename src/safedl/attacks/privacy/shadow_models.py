"""Shadow-model membership inference — a learned attack model over shadow outputs.

Paper: Shokri, Stronati, Song, Shmatikov, "Membership Inference Attacks Against Machine
Learning Models", IEEE S&P 2017.
Threat: black-box scores, one query per candidate; the attacker trains ``shadows`` models like
the target on population data whose membership it knows.
Parameters: ``shadows`` (even; the same shadows as LiRA and RMIA, shared through the store),
``per_class`` (one attack model per true class, as in the paper, or one for all with the class
as an input), ``hidden`` (width of the attack MLP), ``steps`` (full-batch Adam steps), ``lr``.
Reports: AUC, balanced accuracy (at the attack model's own 0.5 decision), TPR at 1% / 0.1%
FPR, ROC, per-class AUC.

Training data of the attack model: each shadow's answers on population examples it trained on
(label IN) and on as many it did not (label OUT). The feature is the answer's log-probability
vector (clipped at log 1e-30, standardised) — a monotone transform of the paper's probability
vector that keeps near-one-hot answers of a confident model apart.
"""

from __future__ import annotations

import torch
from pydantic import Field
from torch import Tensor, nn
from torch.nn import functional as F

from safedl.attacks.privacy.base import MembershipAttack
from safedl.attacks.privacy.shadows import train_shadows
from safedl.attacks.privacy.signals import EPS
from safedl.attacks.privacy.target import PrivacyTarget
from safedl.data import TensorData
from safedl.errors import ConfigError, DataError
from safedl.models import Oracle
from safedl.registry import ATTACKS, PluginConfig


def features(probs: Tensor) -> Tensor:
    """Log-probabilities clipped at ``log(1e-30)``."""
    return torch.log(probs.double().clamp_min(EPS)).float()


def fit_attack_model(
    x: Tensor, is_in: Tensor, hidden: int, steps: int, lr: float, generator: torch.Generator
) -> nn.Module:
    """A small MLP mapping standardised features to the logit of "IN", full-batch Adam."""
    seed = int(torch.randint(0, 2**31 - 1, (1,), generator=generator))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = nn.Sequential(nn.Linear(x.shape[1], hidden), nn.ReLU(), nn.Linear(hidden, 1))
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-4)
    target = is_in.float()
    for _ in range(steps):
        opt.zero_grad(set_to_none=True)
        loss = F.binary_cross_entropy_with_logits(model(x).squeeze(1), target)
        loss.backward()
        opt.step()
    model.eval()
    return model


@ATTACKS.register(
    "shadow_models",
    family="privacy",
    access="scores",
    paper="Shokri et al., Membership Inference Attacks Against Machine Learning Models, "
    "IEEE S&P 2017",
)
class ShadowModels(MembershipAttack):
    """Attack models trained on shadow models' IN/OUT answers (Shokri et al., 2017)."""

    class Config(PluginConfig):
        """Shadow-model attack parameters."""

        shadows: int = Field(8, ge=2, le=256, description="Shadow models (even).")
        per_class: bool = Field(True, description="One attack model per true class.")
        hidden: int = Field(64, ge=1, le=4096, description="Hidden width of the attack model.")
        steps: int = Field(300, ge=1, le=100_000, description="Full-batch training steps.")
        lr: float = Field(0.01, gt=0, description="Adam learning rate of the attack model.")

    config: Config

    def __init__(self, config: PluginConfig, *, seed: int = 0) -> None:
        super().__init__(config, seed=seed)
        if self.config.shadows % 2:
            raise ConfigError(
                f"shadow_models.params.shadows must be even, got {self.config.shadows}"
            )
        self._models: dict[int, nn.Module] = {}
        self._norm: tuple[Tensor, Tensor] | None = None
        self._classes = 0

    def _inputs(self, feats: Tensor, y: Tensor) -> Tensor:
        if self.config.per_class:
            return feats
        return torch.cat([feats, F.one_hot(y, self._classes).float()], 1)

    def prepare(self, target: PrivacyTarget) -> None:
        pop = target.population
        if len(pop) == 0:
            raise DataError("shadow_models needs population data to train its attack model")
        shadows = train_shadows(target, self.config.shadows)
        self._classes = shadows.models[0].num_classes
        xs, ys, ins = [], [], []
        for model, keep in zip(shadows.models, shadows.population_keep, strict=True):
            in_idx = torch.nonzero(keep).flatten()
            out_idx = torch.nonzero(~keep).flatten()
            n = min(len(in_idx), len(out_idx))  # balanced IN / OUT per shadow
            in_idx = in_idx[torch.randperm(len(in_idx), generator=self.generator)[:n]]
            out_idx = out_idx[torch.randperm(len(out_idx), generator=self.generator)[:n]]
            idx = torch.cat([in_idx, out_idx])
            xs.append(features(model.predict_proba(pop.x[idx])))
            ys.append(pop.y[idx])
            ins.append(
                torch.cat([torch.ones(n, dtype=torch.bool), torch.zeros(n, dtype=torch.bool)])
            )
        feats, labels, is_in = torch.cat(xs), torch.cat(ys), torch.cat(ins)
        mean, std = feats.mean(0), feats.std(0).clamp_min(1e-6)
        self._norm = (mean, std)
        inputs = self._inputs((feats - mean) / std, labels)
        cfg = self.config
        groups = torch.unique(labels).tolist() if cfg.per_class else [-1]
        for c in groups:
            sel = labels == c if c >= 0 else torch.ones_like(is_in)
            self._models[c] = fit_attack_model(
                inputs[sel], is_in[sel], cfg.hidden, cfg.steps, cfg.lr, self.generator
            )
        self.extra["shadows"] = shadows.summary()
        self.extra["attack_training_examples"] = len(is_in)

    def infer(self, oracle: Oracle, members: TensorData, non_members: TensorData) -> Tensor:
        if self._norm is None:
            raise RuntimeError("shadow_models: prepare() must run before infer()")
        y = torch.cat([members.y, non_members.y])
        feats = features(oracle(torch.cat([members.x, non_members.x])))
        inputs = self._inputs((feats - self._norm[0]) / self._norm[1], y)
        scores = torch.zeros(len(y), dtype=torch.float64)
        with torch.inference_mode():
            if not self.config.per_class:
                return self._models[-1](inputs).squeeze(1).double().clone()
            for c, model in self._models.items():
                sel = y == c
                scores[sel] = model(inputs[sel]).squeeze(1).double()
        # A class no shadow answered for stays at logit 0 (probability 1/2).
        return scores

    def threshold(self) -> float | None:
        return 0.0  # the attack model's own decision: P(IN) >= 1/2


__all__ = ["ShadowModels", "features", "fit_attack_model"]
