"""FGSM — Fast Gradient Sign Method (see :class:`FGSM`)."""

from __future__ import annotations

import torch
from torch.nn import functional as F

from safedl.attacks.evasion.base import AttackRun, EvasionAttack, EvasionConfig
from safedl.attacks.evasion.steps import gradient, project, step
from safedl.models import ModelAdapter
from safedl.registry import ATTACKS


@ATTACKS.register(
    "fgsm",
    family="evasion",
    access="white-box",
    norms=("linf", "l2"),
    paper="Goodfellow et al., Explaining and Harnessing Adversarial Examples, ICLR 2015",
)
class FGSM(EvasionAttack[ModelAdapter]):
    """Fast Gradient Sign Method: one gradient step of size ε (Goodfellow et al., 2015).

    Paper: Goodfellow, Shlens, Szegedy, "Explaining and Harnessing Adversarial Examples",
    ICLR 2015.
    Threat: L∞ ball (sign step) or L2 ball (normalised-gradient step, "FGM") of radius
    ``eps``; access ``white-box`` (gradients).
    Reports: clean and robust accuracy, success rate (95% CIs), perturbation norms, images/s.
    """

    class Config(EvasionConfig):
        """FGSM takes only the shared evasion parameters."""

    def perturb(
        self,
        model: ModelAdapter,
        x: torch.Tensor,
        y: torch.Tensor,
        target: torch.Tensor | None,
        run: AttackRun,
    ) -> torch.Tensor:
        cfg = self.config

        def loss(z: torch.Tensor) -> torch.Tensor:
            logits = model.logits(z)
            if target is None:
                return F.cross_entropy(logits, y, reduction="sum")
            return -F.cross_entropy(logits, target, reduction="sum")

        x_adv = step(x, gradient(loss, x), cfg.eps, cfg.norm)
        return project(x, x_adv, cfg.eps, cfg.norm)
