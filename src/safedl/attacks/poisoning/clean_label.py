"""Shared machinery of targeted clean-label poisoning: targets, poison bases, bound, success.

A plugin subclasses :class:`CleanLabelAttack` and implements :meth:`CleanLabelAttack.perturb`:
given a clean model, the poison bases (training images of ``target_class``) and the target
images, return the poisons inside the L∞ ball of radius ``eps`` around their bases. The base
chooses targets and bases, writes the poisons into the training set in place of their originals
(labels untouched — the base checks it) and measures targeted misclassification.

Targets: either test images (``target_index``, or ``num_targets`` drawn from the seed among
test images of another class that the clean model classifies correctly), to be classified as
``target_class``; or a whole class (``source_class``): the attacker crafts against training
images of ``source_class`` (samples it holds) and success is measured on every test image of
that class.

Threat: training-data control (access ``training-data``) and a clean model of the victim's
architecture trained on the same data (here: the baseline itself — a white-box surrogate, the
strongest form of the paper's threat).
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

import torch
from pydantic import Field, model_validator

from safedl.attacks.poisoning.base import (
    AttackOutcome,
    PoisonedSet,
    PoisoningAttack,
    PoisoningConfig,
    check_class,
    pick,
)
from safedl.data import TensorData
from safedl.errors import ConfigError
from safedl.models import ModelAdapter

#: Most training images of ``source_class`` used as crafting targets in class mode.
MAX_CLASS_TARGETS = 256


class CleanLabelConfig(PoisoningConfig):
    """Parameters every targeted clean-label poisoning attack shares."""

    poison_fraction: float = Field(
        0.05,
        ge=0.0,
        le=1.0,
        validation_alias=PoisoningConfig.model_fields["poison_fraction"].validation_alias,
        description="Poison budget: share of the training set perturbed, all drawn from "
        "target_class (capped by its size; alias: fraction).",
    )
    eps: float = Field(16 / 255, gt=0.0, le=1.0, description="L∞ bound of the perturbations.")
    target_class: int = Field(0, ge=0, description="Class the target(s) should be classified as.")
    target_index: list[int] | None = Field(
        None, min_length=1, description="Test-set indices of the target images."
    )
    num_targets: int = Field(
        1, ge=1, le=1000, description="Targets drawn from the seed when target_index is unset."
    )
    source_class: int | None = Field(
        None, ge=0, description="Class mode: aim at every image of this class instead."
    )

    @model_validator(mode="after")
    def _one_kind_of_target(self) -> CleanLabelConfig:
        if self.source_class is not None and self.target_index is not None:
            raise ValueError("give target_index or source_class, not both")
        if self.source_class is not None and self.source_class == self.target_class:
            raise ValueError("source_class and target_class must differ")
        return self


class CleanLabelAttack(PoisoningAttack):
    """Base class of targeted clean-label poisoning (feature collision, gradient matching)."""

    Config = CleanLabelConfig
    config: CleanLabelConfig
    clean_label = True
    needs_clean_model = True
    uses_test = True

    @abstractmethod
    def perturb(
        self,
        model: ModelAdapter,
        x_base: torch.Tensor,
        y_base: torch.Tensor,
        x_target: torch.Tensor,
        generator: torch.Generator,
    ) -> tuple[torch.Tensor, dict[str, Any]]:
        """Poisons for ``x_base`` (labels ``y_base``) aimed at ``x_target``, in the ε-ball.

        Tensors are on the model's device; ``x_target`` should go to ``target_class``.
        Returns the poisons and the attack-specific figures of the call (for ``extra``).
        """

    def _targets(
        self, model: ModelAdapter, train: TensorData, test: TensorData, gen: torch.Generator
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(test indices success is measured on, images the poisons are crafted against)``."""
        cfg = self.config
        if cfg.source_class is not None:
            index = torch.nonzero(test.y == cfg.source_class).flatten()
            crafting = pick(train.y == cfg.source_class, MAX_CLASS_TARGETS, gen)
            return index, train.x[crafting]
        if cfg.target_index is not None:
            index = torch.tensor(cfg.target_index, dtype=torch.int64)
            if int(index.max()) >= len(test):
                raise ConfigError(f"target_index {cfg.target_index} out of range ({len(test)})")
            if bool((test.y[index] == cfg.target_class).any()):
                raise ConfigError("a target image already belongs to target_class")
        else:
            ok = (model.predict(test.x) == test.y) & (test.y != cfg.target_class)
            index = pick(ok, cfg.num_targets, gen)
            if not len(index):
                raise ConfigError(
                    "no test image outside target_class is classified correctly by the clean "
                    "model, so there is no target to aim at",
                    hint="give target_index explicitly",
                )
        return index, test.x[index]

    def craft(
        self,
        train: TensorData,
        num_classes: int,
        *,
        generator: torch.Generator,
        clean_model: ModelAdapter | None,
        test: TensorData | None,
    ) -> PoisonedSet:
        cfg = self.config
        assert clean_model is not None and test is not None  # checked by poison()
        check_class(cfg.target_class, num_classes, "target_class")
        check_class(cfg.source_class, num_classes, "source_class")
        target_index, x_target = self._targets(clean_model, train, test, generator)
        idx = pick(train.y == cfg.target_class, self.budget(len(train)), generator)
        x = train.x.clone()
        extra: dict[str, Any] = {}
        if len(idx) and len(x_target):
            dev = clean_model.device
            poisons, extra = self.perturb(
                clean_model, x[idx].to(dev), train.y[idx].to(dev), x_target.to(dev), generator
            )
            x[idx] = poisons.detach().cpu()
        return PoisonedSet(TensorData(x, train.y), idx, target_index=target_index, extra=extra)

    def violation(
        self,
        clean: torch.Tensor,
        poisoned: torch.Tensor,
        trigger: dict[str, torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """Per-poison amount outside the L∞ ball of radius ``eps`` or outside [0, 1]."""
        box = super().violation(clean, poisoned)
        if not len(box):
            return box
        ball = ((poisoned - clean).flatten(1).abs().amax(1) - self.config.eps).clamp_min(0)
        return torch.maximum(box, ball)

    def outcome(
        self, model: ModelAdapter, test: TensorData, poisoned: PoisonedSet, batch_size: int = 512
    ) -> AttackOutcome:
        """Success: target test images classified as ``target_class``."""
        index = poisoned.target_index if poisoned.target_index is not None else torch.zeros(0)
        index = index.long()
        probs = model.predict_proba(test.x[index], batch_size=batch_size)
        pred = probs.argmax(1)
        return AttackOutcome(
            success=pred == self.config.target_class,
            correct=pred == test.y[index],
            target_probability=probs[:, self.config.target_class],
        )


def poison_start(x: torch.Tensor, eps: float, gen: torch.Generator) -> torch.Tensor:
    """A uniformly random point of the L∞ ball around ``x`` inside [0, 1] (on x's device)."""
    noise = (torch.rand(x.shape, generator=gen) * 2 - 1).to(x.device) * eps
    return (x + noise).clamp(0, 1)


def project_linf(x: torch.Tensor, base: torch.Tensor, eps: float) -> torch.Tensor:
    """``x`` projected onto the L∞ ball of radius ``eps`` around ``base``, then into [0, 1]."""
    return torch.minimum(torch.maximum(x, base - eps), base + eps).clamp(0, 1)


__all__ = ["CleanLabelAttack", "CleanLabelConfig", "poison_start", "project_linf"]
