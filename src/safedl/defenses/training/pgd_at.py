"""PGD-AT — adversarial training on PGD examples.

Paper: Madry, Makelov, Schmidt, Tsipras, Vladu, "Towards Deep Learning Models Resistant to
Adversarial Attacks", ICLR 2018.
Threat: L∞ or L2 ball of radius ``eps`` around each training image; needs control of training
(access ``training-data``).
Parameters: ``eps``, ``norm``, ``steps`` (inner PGD steps, default 8), ``step_size`` (default
2.5·ε/steps), ``random_start`` (default true), ``epochs`` (default: the baseline's).
Reports: the defended model (safetensors in the store), its clean accuracy beside the
baseline's (95% CIs), the training history, and measured cost (training time, latency).

Every training step replaces the batch by PGD examples against the current model (random start
in the ball, ``steps`` signed-gradient ascent steps on the cross-entropy of the true labels,
projection onto the ball and [0, 1]) and minimises the cross-entropy on them: the saddle-point
problem min_θ E max_{δ∈B(ε)} L(θ, x + δ, y) of the paper. Published reference on Fashion-MNIST
(ε = 0.1, 8 steps of 0.02, 80k iterations of batch 100): 90.9% clean, 68.1% PGD-20 robust.
"""

from __future__ import annotations

import torch
from pydantic import Field
from torch.nn import functional as F

from safedl.defenses.training.base import AdversarialConfig, TrainingDefense
from safedl.defenses.training.perturb import LogitsFn, pgd_examples
from safedl.models import ModelAdapter
from safedl.registry import DEFENSES
from safedl.training import LossFn


@DEFENSES.register(
    "pgd_at",
    family="training",
    access="training-data",
    norms=("linf", "l2"),
    paper="Madry et al., Towards Deep Learning Models Resistant to Adversarial Attacks, ICLR 2018",
)
class PGDAT(TrainingDefense):
    """PGD adversarial training (Madry et al., 2018)."""

    class Config(AdversarialConfig):
        """PGD-AT parameters on top of the shared adversarial-training ones."""

        random_start: bool = Field(True, description="Start each inner PGD in a random point.")

    config: Config

    def loss(self, model: ModelAdapter) -> LossFn:
        cfg = self.config

        def pgd_at_loss(logits_fn: LogitsFn, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            x_adv = pgd_examples(
                logits_fn,
                x,
                y,
                eps=cfg.eps,
                step_size=cfg.alpha,
                steps=cfg.steps,
                norm=cfg.norm,
                random_start=cfg.random_start,
            )
            return F.cross_entropy(logits_fn(x_adv), y)

        return pgd_at_loss


__all__ = ["PGDAT"]
