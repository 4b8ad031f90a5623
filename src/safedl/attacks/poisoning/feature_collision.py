"""Poison Frogs: clean-label poisons that collide with the target in feature space."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from pydantic import Field
from torch import nn

from safedl.attacks.poisoning.clean_label import CleanLabelAttack, CleanLabelConfig, project_linf
from safedl.errors import ModelError
from safedl.models import ModelAdapter
from safedl.registry import ATTACKS


def penultimate(model: ModelAdapter) -> Callable[[torch.Tensor], torch.Tensor]:
    """A function returning the input of the model's last ``nn.Linear`` (its feature space).

    Raises:
        ModelError: The model has no ``nn.Linear`` layer.
    """
    linears = [m for m in model.module.modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise ModelError(
            "feature collision needs a model whose last layer is nn.Linear (its input is the "
            "feature space)"
        )
    captured: list[torch.Tensor] = []

    def hook(_module: nn.Module, inputs: tuple[torch.Tensor, ...]) -> None:
        captured.append(inputs[0])

    def features(x: torch.Tensor) -> torch.Tensor:
        captured.clear()
        handle = linears[-1].register_forward_pre_hook(hook)
        try:
            model.logits(x)
        finally:
            handle.remove()
        return captured[0].flatten(1)

    return features


@ATTACKS.register(
    "feature_collision",
    family="poisoning",
    access="training-data",
    paper="Shafahi et al., Poison Frogs! Targeted Clean-Label Poisoning Attacks on Neural "
    "Networks, NeurIPS 2018",
)
class FeatureCollision(CleanLabelAttack):
    """Poison Frogs feature collision, bounded in L∞ (Shafahi et al., NeurIPS 2018).

    Paper: Shafahi, Huang, Najibi, Suciu, Studer, Dumitras, Goldstein, "Poison Frogs!
    Targeted Clean-Label Poisoning Attacks on Neural Networks", NeurIPS 2018.
    Threat: access ``training-data`` and the clean model's feature extractor (penultimate
    layer: the input of the last ``nn.Linear``); perturbations bounded in L∞ by ``eps``.
    Poisons are images of ``target_class`` whose features approach the target's; labels stay
    untouched.
    Reports: clean accuracy and its drop, targeted misclassification of the target image(s)
    (or of the source class's test images), per-class accuracy, the poison count and
    ``extra["relative_feature_distance"]`` (final feature distance to the target over the
    initial one); 95% CIs.

    Forward-backward splitting on ``‖f(p) − f(t)‖² + β‖p − b‖²``: a gradient step of size
    ``lr`` on the feature distance, then the proximal step ``p ← (p + lr·β·b) / (1 + lr·β)``,
    followed by projection onto the L∞ ball of radius ``eps`` around the base ``b`` and
    [0, 1]. With several targets, poisons are assigned to them in turn. The paper's
    end-to-end results rely on watermarking and many poisons; with an ε bound and training
    from scratch, expect weak results. Its main setting, transfer learning on a frozen
    feature extractor, is ``victim_training: last-layer``.
    """

    class Config(CleanLabelConfig):
        """Feature-collision parameters."""

        steps: int = Field(200, ge=1, le=10_000, description="Forward-backward iterations.")
        lr: float = Field(0.01, gt=0.0, description="Step size of the forward (gradient) step.")
        beta: float = Field(0.25, ge=0.0, description="Weight of the closeness-to-base term.")

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
        features = penultimate(model)
        with model.attack_mode():
            with torch.no_grad():
                goal = features(x_target)
            goal = goal[torch.arange(len(x_base), device=goal.device) % len(goal)]
            start = features(x_base).detach()
            p = x_base.clone()
            shrink = 1.0 / (1.0 + cfg.lr * cfg.beta)
            for _ in range(cfg.steps):
                p.requires_grad_(True)
                loss = (features(p) - goal).pow(2).sum()
                (grad,) = torch.autograd.grad(loss, p)
                p = (p.detach() - cfg.lr * grad + cfg.lr * cfg.beta * x_base) * shrink
                p = project_linf(p, x_base, cfg.eps)
            with torch.no_grad():
                before = (start - goal).norm(dim=1)
                after = (features(p) - goal).norm(dim=1)
        relative = float((after / before.clamp_min(1e-12)).mean().item())
        return p.detach(), {"relative_feature_distance": relative}
