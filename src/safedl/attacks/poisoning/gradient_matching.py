"""Witches' Brew: clean-label poisons whose training gradient matches the adversarial one."""

from __future__ import annotations

from typing import Any

import torch
from pydantic import Field
from torch.nn import functional as F

from safedl.attacks.poisoning.clean_label import (
    CleanLabelAttack,
    CleanLabelConfig,
    poison_start,
    project_linf,
)
from safedl.models import ModelAdapter
from safedl.registry import ATTACKS


@ATTACKS.register(
    "gradient_matching",
    family="poisoning",
    access="training-data",
    paper="Geiping et al., Witches' Brew: Industrial Scale Data Poisoning via Gradient "
    "Matching, ICLR 2021",
)
class GradientMatching(CleanLabelAttack):
    """Witches' Brew gradient matching, bounded in L∞ (Geiping et al., ICLR 2021).

    Paper: Geiping, Fowl, Huang, Czaja, Taylor, Moeller, Goldstein, "Witches' Brew:
    Industrial Scale Data Poisoning via Gradient Matching", ICLR 2021.
    Threat: access ``training-data`` and a clean model of the victim's architecture (here the
    baseline); perturbations bounded in L∞ by ``eps``. Poisons are images of
    ``target_class``; labels stay untouched.
    Reports: clean accuracy and its drop, targeted misclassification of the target image(s)
    (or of the source class's test images), per-class accuracy, the poison count,
    ``extra["gradient_cosine"]`` (final cosine similarity of the poisons' and the
    adversarial gradient) and ``extra["gradient_cosine_initial"]`` (before crafting); 95%
    CIs.

    Minimise ``1 − cos(∇θ L(poisons + δ, y), ∇θ L(targets, target_class))`` over δ with
    signed Adam steps (step ``lr · eps``, decayed ×0.1 at 3/8, 5/8 and 7/8 of the steps),
    projecting onto the L∞ ball of radius ``eps`` and [0, 1] after each step, from a random
    start; of ``restarts`` runs the best-matching one is kept. The paper's differentiable
    augmentation and ensembles are left out. On small models trained for a few epochs from
    scratch the poisons raise the target's probability without flipping it; with
    ``victim_training: fine-tune`` (the deployed model updated on the poisoned set) they flip
    it (see the README's measurements).
    """

    class Config(CleanLabelConfig):
        """Gradient-matching parameters."""

        steps: int = Field(250, ge=1, le=10_000, description="Signed-Adam steps per restart.")
        lr: float = Field(0.1, gt=0.0, le=1.0, description="Adam step size as a share of eps.")
        restarts: int = Field(1, ge=1, le=20, description="Independent runs; the best is kept.")

    config: Config

    def perturb(
        self,
        model: ModelAdapter,
        x_base: torch.Tensor,
        y_base: torch.Tensor,
        x_target: torch.Tensor,
        generator: torch.Generator,
    ) -> tuple[torch.Tensor, dict[str, Any]]:
        cfg = self.config
        module = model.module
        params = list(module.parameters())
        flags = [p.requires_grad for p in params]
        was_training = module.training
        module.eval()
        try:
            for p in params:
                p.requires_grad_(True)
            adversarial = torch.full(
                (len(x_target),), cfg.target_class, device=x_target.device, dtype=torch.long
            )
            adv_loss = F.cross_entropy(model.logits(x_target), adversarial)
            goal = [g.detach() for g in torch.autograd.grad(adv_loss, params)]
            goal_norm = torch.stack([g.pow(2).sum() for g in goal]).sum().sqrt()

            def mismatch(poisons: torch.Tensor, graph: bool) -> torch.Tensor:
                loss = F.cross_entropy(model.logits(poisons), y_base)
                grads = torch.autograd.grad(loss, params, create_graph=graph)
                dot = torch.stack([(g * t).sum() for g, t in zip(grads, goal, strict=True)])
                norm = torch.stack([g.pow(2).sum() for g in grads]).sum().sqrt()
                return 1 - dot.sum() / (norm * goal_norm).clamp_min(1e-12)

            initial = 1 - float(mismatch(x_base, False).item())
            best, best_loss = x_base, float("inf")
            milestones = [cfg.steps * k // 8 for k in (3, 5, 7)]
            for _ in range(cfg.restarts):
                delta = (poison_start(x_base, cfg.eps, generator) - x_base).requires_grad_(True)
                opt = torch.optim.Adam([delta], lr=cfg.lr * cfg.eps)
                sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones, gamma=0.1)
                for _ in range(cfg.steps):
                    (grad,) = torch.autograd.grad(mismatch(x_base + delta, True), delta)
                    delta.grad = grad.sign()
                    opt.step()
                    sched.step()
                    with torch.no_grad():
                        delta.copy_(project_linf(x_base + delta, x_base, cfg.eps) - x_base)
                poisons = (x_base + delta).detach()
                final = float(mismatch(poisons, False).item())
                if final < best_loss:
                    best, best_loss = poisons, final
        finally:
            for p, flag in zip(params, flags, strict=True):
                p.requires_grad_(flag)
            module.train(was_training)
        figures = {"gradient_cosine_initial": initial, "gradient_cosine": 1 - best_loss}
        return project_linf(best, x_base, cfg.eps), figures
