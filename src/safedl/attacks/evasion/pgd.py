"""PGD — Projected Gradient Descent.

Paper: Madry, Makelov, Schmidt, Tsipras, Vladu, "Towards Deep Learning Models Resistant to
Adversarial Attacks", ICLR 2018.
Threat: L∞ or L2 ball of radius ``eps``; white-box gradients.
Parameters: ``eps``, ``norm``, ``steps``, ``step_size`` (default 2.5·ε/steps, as in the paper),
``random_start``, ``restarts`` (the strongest restart per example is kept), ``targeted`` /
``target_class``.
Reports: clean and robust accuracy, success rate (95% CIs), perturbation norms, images/s.
"""

from __future__ import annotations

import torch
from pydantic import Field
from torch.nn import functional as F

from safedl.attacks.evasion.base import EvasionAttack, EvasionConfig
from safedl.attacks.evasion.steps import gradient, project, random_start, step
from safedl.models import ModelAdapter
from safedl.registry import ATTACKS


@ATTACKS.register(
    "pgd",
    family="evasion",
    access="white-box",
    norms=("linf", "l2"),
    paper="Madry et al., Towards Deep Learning Models Resistant to Adversarial Attacks, ICLR 2018",
)
class PGD(EvasionAttack):
    """Projected Gradient Descent with random start and restarts (Madry et al., 2018)."""

    class Config(EvasionConfig):
        """PGD parameters on top of the shared evasion ones."""

        steps: int = Field(20, ge=1, le=10_000, description="Gradient steps per restart.")
        step_size: float | None = Field(
            None, gt=0, description="Step size; default 2.5 * eps / steps."
        )
        random_start: bool = Field(True, description="Start from a random point of the ball.")
        restarts: int = Field(1, ge=1, le=100, description="Independent runs; the best is kept.")

    config: Config

    def perturb(
        self,
        model: ModelAdapter,
        x: torch.Tensor,
        y: torch.Tensor,
        target: torch.Tensor | None,
        generator: torch.Generator,
    ) -> torch.Tensor:
        cfg = self.config
        alpha = cfg.step_size if cfg.step_size is not None else 2.5 * cfg.eps / cfg.steps
        labels = y if target is None else target
        sign = 1.0 if target is None else -1.0

        def loss(z: torch.Tensor) -> torch.Tensor:
            return sign * F.cross_entropy(model.logits(z), labels, reduction="sum")

        best = x.clone()
        best_loss = torch.full((len(x),), -torch.inf, device=x.device)
        for _ in range(cfg.restarts):
            x_adv = random_start(x, cfg.eps, cfg.norm, generator) if cfg.random_start else x
            for _ in range(cfg.steps):
                x_adv = project(
                    x, step(x_adv, gradient(loss, x_adv), alpha, cfg.norm), cfg.eps, cfg.norm
                )
            with torch.no_grad():
                logits = model.logits(x_adv)
                per_example = sign * F.cross_entropy(logits, labels, reduction="none")
                hit = logits.argmax(1) == labels if target is not None else logits.argmax(1) != y
                # A successful restart always beats an unsuccessful one; then the higher loss wins.
                score = per_example + hit.float() * 1e6
                better = score > best_loss
                best[better] = x_adv[better]
                best_loss = torch.where(better, score, best_loss)
        return best
