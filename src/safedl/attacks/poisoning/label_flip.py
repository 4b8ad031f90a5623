"""Label flipping: the attacker relabels a share of the training set (see :class:`LabelFlip`)."""

from __future__ import annotations

from typing import Literal

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
from safedl.registry import ATTACKS


def _given(value: int | None) -> int:
    """A class the Config's validator requires for the chosen mode."""
    if value is None:
        raise ConfigError("this label-flipping mode needs source_class and/or target_class")
    return value


@ATTACKS.register(
    "label_flip",
    family="poisoning",
    access="training-data",
    paper="Biggio, Nelson, Laskov, Support Vector Machines Under Adversarial Label Noise, "
    "ACML 2011",
)
class LabelFlip(PoisoningAttack):
    """Label flipping: random, source → target or many-to-one, within a flip budget.

    Paper: Biggio, Nelson, Laskov, "Support Vector Machines Under Adversarial Label Noise",
    ACML 2011 (and Xiao, Xiao, Eckert, "Adversarial Label Flips Attack on Support Vector
    Machines", ECAI 2012).
    Threat: access ``training-data``, over labels only (whoever assigns labels); images
    untouched.
    Reports: clean accuracy and its drop; success rate — for ``random`` the victim's test
    error, for the targeted modes the share of eligible test images (class ``source_class``,
    or any class but ``target_class``) classified as ``target_class``; the number of flips;
    95% CIs.

    ``random``: each flipped label becomes a uniformly drawn other class; ``source_target``:
    labels of ``source_class`` become ``target_class``; ``many_to_one``: labels of every other
    class become ``target_class``. The budget is capped by the number of eligible samples.
    """

    class Config(PoisoningConfig):
        """Label-flipping parameters."""

        mode: Literal["random", "source_target", "many_to_one"] = Field(
            "random", description="Which labels flip and to what."
        )
        source_class: int | None = Field(
            None, ge=0, description="Class whose labels flip (mode source_target)."
        )
        target_class: int | None = Field(
            None, ge=0, description="New label (modes source_target and many_to_one)."
        )

        @model_validator(mode="after")
        def _classes_fit_mode(self) -> LabelFlip.Config:
            if self.mode == "source_target" and (
                self.source_class is None or self.target_class is None
            ):
                raise ValueError("mode source_target needs source_class and target_class")
            if self.mode == "many_to_one" and self.target_class is None:
                raise ValueError("mode many_to_one needs target_class")
            if self.mode != "source_target" and self.source_class is not None:
                raise ValueError("source_class is used only with mode source_target")
            if self.mode == "random" and self.target_class is not None:
                raise ValueError("target_class is not used with mode random")
            if self.source_class is not None and self.source_class == self.target_class:
                raise ValueError("source_class and target_class must differ")
            return self

    config: Config

    def _eligible(self, y: torch.Tensor) -> torch.Tensor:
        cfg = self.config
        if cfg.mode == "source_target":
            return y.eq(_given(cfg.source_class))
        if cfg.mode == "many_to_one":
            return y.ne(_given(cfg.target_class))
        return torch.ones_like(y, dtype=torch.bool)

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
        check_class(cfg.source_class, num_classes, "source_class")
        check_class(cfg.target_class, num_classes, "target_class")
        idx = pick(self._eligible(train.y), self.budget(len(train)), generator)
        y = train.y.clone()
        if cfg.mode == "random":
            shift = torch.randint(1, num_classes, (len(idx),), generator=generator)
            y[idx] = (y[idx] + shift) % num_classes
        else:
            y[idx] = _given(cfg.target_class)
        return PoisonedSet(TensorData(train.x, y), idx)

    def outcome(
        self, model: ModelAdapter, test: TensorData, poisoned: PoisonedSet, batch_size: int = 512
    ) -> AttackOutcome:
        eligible = self._eligible(test.y)
        pred = model.predict(test.x[eligible], batch_size=batch_size)
        y = test.y[eligible]
        success = (
            pred.ne(y)
            if self.config.mode == "random"
            else pred.eq(_given(self.config.target_class))
        )
        return AttackOutcome(success=success, correct=pred == y)
