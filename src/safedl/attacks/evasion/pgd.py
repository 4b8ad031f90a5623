"""PGD — Projected Gradient Descent (see :class:`PGD`)."""

from __future__ import annotations

import torch
from pydantic import Field
from torch.nn import functional as F

from safedl.attacks.evasion.base import AttackRun, EvasionAttack, EvasionConfig
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
class PGD(EvasionAttack[ModelAdapter]):
    """Projected Gradient Descent with random start and restarts (Madry et al., 2018).

    Paper: Madry, Makelov, Schmidt, Tsipras, Vladu, "Towards Deep Learning Models Resistant to
    Adversarial Attacks", ICLR 2018.
    Threat: L∞ or L2 ball of radius ``eps``; access ``white-box`` (gradients).
    Reports: clean and robust accuracy, success rate (95% CIs), perturbation norms, images/s.

    With ``early_stop`` (the default) an example counts as broken as soon as any iterate of
    any restart is misclassified (untargeted) or classified as the target (targeted); it is
    returned at that iterate and dropped from the batch, so the forward/backward cost shrinks
    as examples break and the loop ends when none are left. Later restarts run only on
    examples still robust. Robust accuracy with early stop is therefore never higher than
    without (same seed, same random starts). With ``early_stop: false`` every step runs on
    every example and the final iterate of the best restart is returned — use it to
    *generate* examples at a fixed number of steps. The strongest restart per example is kept.
    """

    class Config(EvasionConfig):
        """PGD parameters on top of the shared evasion ones."""

        steps: int = Field(20, ge=1, le=10_000, description="Gradient steps per restart.")
        step_size: float | None = Field(
            None, gt=0, description="Step size; default 2.5 * eps / steps (as in the paper)."
        )
        random_start: bool = Field(True, description="Start from a random point of the ball.")
        restarts: int = Field(1, ge=1, le=100, description="Independent runs; the best is kept.")
        early_stop: bool = Field(
            True,
            description=(
                "Freeze each example at the first iterate that fools the model and stop "
                "computing its gradients (robust-accuracy measurement); false runs every step "
                "on every example."
            ),
        )

    config: Config

    def perturb(
        self,
        model: ModelAdapter,
        x: torch.Tensor,
        y: torch.Tensor,
        target: torch.Tensor | None,
        run: AttackRun,
    ) -> torch.Tensor:
        generator = run.generator
        if self.config.early_stop:
            return self._perturb_early_stop(model, x, y, target, generator)
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
            if cfg.restarts == 1:  # nothing to choose between: skip the scoring pass
                return x_adv.detach()
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

    def _perturb_early_stop(
        self,
        model: ModelAdapter,
        x: torch.Tensor,
        y: torch.Tensor,
        target: torch.Tensor | None,
        generator: torch.Generator,
    ) -> torch.Tensor:
        """PGD that only spends gradients on examples not yet broken (see module docstring)."""
        cfg = self.config
        alpha = cfg.step_size if cfg.step_size is not None else 2.5 * cfg.eps / cfg.steps
        labels = y if target is None else target
        sign = 1.0 if target is None else -1.0
        best = x.clone()
        best_loss = torch.full((len(x),), -torch.inf, device=x.device)
        alive = torch.ones(len(x), dtype=torch.bool, device=x.device)
        for _ in range(cfg.restarts):
            # Draw the start for the whole batch, as the plain loop does, so that both modes
            # follow the same trajectories for a given seed.
            start = random_start(x, cfg.eps, cfg.norm, generator) if cfg.random_start else x
            idx = alive.nonzero().squeeze(1)
            if idx.numel() == 0:
                break
            x0, lab, x_adv = x[idx], labels[idx], start[idx]
            for i in range(cfg.steps + 1):
                last = i == cfg.steps
                z = x_adv.detach().requires_grad_(not last)
                with torch.set_grad_enabled(not last):
                    logits = model.logits(z)
                    per_example = sign * F.cross_entropy(logits, lab, reduction="none")
                pred = logits.detach().argmax(1)
                hit = pred == lab if target is not None else pred != lab
                if last:  # examples still robust keep their strongest iterate over restarts
                    loss_now = per_example.detach()
                    better = ~hit & (loss_now > best_loss[idx])
                    best[idx[better]] = x_adv[better].detach()
                    best_loss[idx[better]] = loss_now[better]
                best[idx[hit]] = x_adv[hit].detach()
                alive[idx[hit]] = False
                keep = ~hit
                if last or not bool(keep.any()):
                    break
                (grad,) = torch.autograd.grad(per_example.sum(), z)
                idx, x0, lab, x_adv = idx[keep], x0[keep], lab[keep], x_adv[keep]
                x_adv = project(x0, step(x_adv, grad[keep], alpha, cfg.norm), cfg.eps, cfg.norm)
        return best
