"""DeepFool — a minimal-perturbation attack that linearises the classifier at each step."""

from __future__ import annotations

from typing import Literal

import torch
from pydantic import Field, model_validator

from safedl.attacks.evasion.base import AttackRun, EvasionAttack, EvasionConfig
from safedl.models import ModelAdapter
from safedl.registry import ATTACKS

_TINY = 1e-8


def _view(t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return t.view(-1, *([1] * (like.dim() - 1)))


@ATTACKS.register(
    "deepfool",
    family="evasion",
    access="white-box",
    norms=("l2", "linf"),
    paper="Moosavi-Dezfooli et al., DeepFool: a simple and accurate method to fool deep "
    "neural networks, CVPR 2016",
)
class DeepFool(EvasionAttack[ModelAdapter]):
    """DeepFool: iterate towards the nearest linearised class boundary (Moosavi-Dezfooli, 2016).

    Paper: Moosavi-Dezfooli, Fawzi, Frossard, "DeepFool: a simple and accurate method to fool
    deep neural networks", CVPR 2016.
    Threat: minimum-norm, L2 (or L∞, the paper's ℓ_p variant with p = ∞; ``eps`` is only where
    ``accuracy_at_eps`` is read); access ``white-box`` (gradients); untargeted only.
    Reports: clean and robust accuracy, success rate (95% CIs), perturbation norms (of the
    examples it fooled; examples it could not fool, or that were misclassified already, are
    returned unchanged), images/s, and ``extra["accuracy_at_eps"]``.

    Each iteration takes one forward pass over the examples not yet fooled and one backward
    pass per candidate class (for the whole batch, sharing the forward graph), finds for every
    example the class boundary closest under the linear approximation, and steps onto it.
    """

    minimum_norm = True

    class Config(EvasionConfig):
        """DeepFool parameters on top of the shared evasion ones."""

        eps: float = Field(
            0.1, gt=0, description="Budget at which accuracy_at_eps is reported (unbounded)."
        )
        norm: Literal["linf", "l2"] = Field("l2", description="Norm minimised: l2 or linf.")
        steps: int = Field(50, ge=1, le=10_000, description="Maximum iterations.")
        candidates: int = Field(
            10,
            ge=2,
            le=1000,
            description="Classes with the highest clean logits considered (the true one too).",
        )
        overshoot: float = Field(
            0.02, ge=0, le=10, description="Scale the total perturbation by 1 + overshoot."
        )

        @model_validator(mode="after")
        def _untargeted_only(self) -> DeepFool.Config:
            if self.targeted:
                raise ValueError(
                    "deepfool is untargeted only (it steps to the nearest class boundary, "
                    "whatever the class); use cw or pgd with targeted: true for a targeted attack"
                )
            return self

    config: Config

    def perturb(
        self,
        model: ModelAdapter,
        x: torch.Tensor,
        y: torch.Tensor,
        target: torch.Tensor | None,
        run: AttackRun,
    ) -> torch.Tensor:
        cfg = self.config
        out = x.clone()
        with torch.no_grad():
            logits = model.logits(x)
        k = min(cfg.candidates, logits.shape[1])
        # The true class first, then the other classes in order of their clean logits.
        ranked = logits.scatter(1, y[:, None], torch.inf).argsort(dim=1, descending=True)
        classes = ranked[:, :k]
        idx = (logits.argmax(1) == y).nonzero().squeeze(1)  # misclassified ones stay unchanged
        x0, cls, total = x[idx], classes[idx], torch.zeros_like(x[idx])
        x_adv = x0
        for i in range(cfg.steps + 1):
            if idx.numel() == 0:
                break
            z = x_adv.detach().requires_grad_(True)
            logits = model.logits(z)
            fooled = logits.detach().argmax(1) != cls[:, 0]
            if bool(fooled.any()):  # freeze them; work on the rest only
                out[idx[fooled]] = x_adv[fooled].detach()
                keep = ~fooled
                idx, x0, cls, total, x_adv = (
                    idx[keep],
                    x0[keep],
                    cls[keep],
                    total[keep],
                    x_adv[keep],
                )
                if i == cfg.steps or idx.numel() == 0:
                    break
                z = x_adv.detach().requires_grad_(True)
                logits = model.logits(z)
            if i == cfg.steps:
                break
            own = logits.gather(1, cls[:, :1]).squeeze(1)
            dist = torch.full((len(z),), torch.inf, device=z.device)
            best_w = torch.zeros_like(z)
            for j in range(1, k):
                f = logits.gather(1, cls[:, j : j + 1]).squeeze(1) - own
                (w,) = torch.autograd.grad(f.sum(), z, retain_graph=j < k - 1)
                flat = w.flatten(1)
                size = flat.norm(dim=1) if cfg.norm == "l2" else flat.abs().sum(1)
                d = f.detach().abs() / (size + _TINY)
                closer = d < dist
                dist = torch.where(closer, d, dist)
                best_w = torch.where(_view(closer, z), w, best_w)
            # Step just past the nearest linearised boundary (+1e-4 as Foolbox does).
            if cfg.norm == "l2":
                w_size = best_w.flatten(1).norm(dim=1) + _TINY
                r = _view((dist + 1e-4) / w_size, z) * best_w
            else:
                r = _view(dist + 1e-4, z) * best_w.sign()
            total = total + r
            x_adv = (x0 + (1 + cfg.overshoot) * total).clamp(0.0, 1.0)
        return out
