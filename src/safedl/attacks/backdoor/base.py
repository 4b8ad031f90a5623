"""Shared machinery of backdoor attacks: trigger, target labels, stamping and success rate.

A backdoor plugin subclasses :class:`BackdoorAttack` and implements :meth:`make_trigger` (the
trigger tensors, drawn from the seeded generator) and, unless its trigger is a blend
``x · (1 − mask) + pattern · mask``, :meth:`stamp`. The base picks the poisoned samples, stamps
them, relabels them (all-to-one: ``target_class``; all-to-all: ``(y + 1) mod K``) and measures
the attack success rate on triggered test images: those whose true class is not the target
(all-to-one) or all of them (all-to-all).

Threat: training-data control (access ``training-data``): the attacker edits a share
``poison_fraction`` of the training set and presents the trigger at test time.
"""

from __future__ import annotations

import warnings
from abc import abstractmethod
from typing import Literal

import torch
from pydantic import Field

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


class BackdoorConfig(PoisoningConfig):
    """Parameters every backdoor shares."""

    target_class: int = Field(0, ge=0, description="Class triggered inputs go to (all-to-one).")
    mode: Literal["all_to_one", "all_to_all"] = Field(
        "all_to_one", description="all_to_one: every class to target_class; all_to_all: y → y+1."
    )


class BackdoorAttack(PoisoningAttack):
    """Base class of backdoor attacks.

    The trigger is made by :meth:`poison` and travels in the returned
    :class:`~safedl.attacks.poisoning.base.PoisonedSet` (``poisoned.trigger``), never on the
    attack: :meth:`apply_trigger` and :meth:`trigger_image` take it as an argument, so one
    instance serves any number of poisoned sets.
    """

    Config = BackdoorConfig
    config: BackdoorConfig

    def __init__(self, config: BackdoorConfig, *, seed: int = 0) -> None:
        super().__init__(config, seed=seed)
        self._legacy_trigger: dict[str, torch.Tensor] | None = None

    @abstractmethod
    def make_trigger(
        self, shape: tuple[int, int, int], generator: torch.Generator
    ) -> dict[str, torch.Tensor]:
        """The trigger for images of ``shape`` ``(C, H, W)``, as named CPU tensors."""

    def stamp(self, x: torch.Tensor, trigger: dict[str, torch.Tensor]) -> torch.Tensor:
        """``x`` with the trigger: ``x · (1 − mask) + pattern · mask`` by default."""
        mask = trigger["mask"].to(x.device)
        return x * (1 - mask) + trigger["pattern"].to(x.device) * mask

    def picture(self, trigger: dict[str, torch.Tensor]) -> torch.Tensor:
        """A ``[C, H, W]`` picture of ``trigger`` for plots (``pattern · mask`` by default)."""
        return (trigger["pattern"] * trigger["mask"]).clamp(0, 1)

    def trigger_image(self, trigger: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
        """A ``[C, H, W]`` picture of ``trigger`` (a poisoned set's) for plots."""
        return self.picture(self._given(trigger))

    def apply_trigger(
        self, x: torch.Tensor, trigger: dict[str, torch.Tensor] | None = None
    ) -> torch.Tensor:
        """Stamp ``trigger`` (a poisoned set's) on test images ``[N, C, H, W]`` in [0, 1]."""
        return self.stamp(x, self._given(trigger)).clamp(0, 1)

    def use_trigger(self, trigger: dict[str, torch.Tensor]) -> None:
        """Deprecated: pass the trigger to :meth:`apply_trigger` / :meth:`trigger_image`.

        Kept for callers that set a trigger once and then call those two without one; nothing
        else in the attack reads it (:meth:`poison` and :meth:`outcome` never do).
        """
        warnings.warn(
            "BackdoorAttack.use_trigger is deprecated; pass the poisoned set's trigger to "
            "apply_trigger(x, trigger) and trigger_image(trigger)",
            DeprecationWarning,
            stacklevel=2,
        )
        self._legacy_trigger = {k: v.cpu() for k, v in trigger.items()}

    def _given(self, trigger: dict[str, torch.Tensor] | None) -> dict[str, torch.Tensor]:
        if trigger is None:
            trigger = self._legacy_trigger
        if trigger is None:
            raise ConfigError(
                f"backdoor {self.plugin_name!r} needs a trigger",
                hint="pass the trigger of a poisoned set: apply_trigger(x, poisoned.trigger)",
            )
        return trigger

    def target_labels(self, y: torch.Tensor, num_classes: int) -> torch.Tensor:
        """The labels triggered inputs should get."""
        if self.config.mode == "all_to_all":
            return (y + 1) % num_classes
        return torch.full_like(y, self.config.target_class)

    def eligible(self, y: torch.Tensor) -> torch.Tensor:
        """Samples whose label the trigger changes (all of them for all-to-all)."""
        if self.config.mode == "all_to_all":
            return torch.ones_like(y, dtype=torch.bool)
        return y != self.config.target_class

    def craft(
        self,
        train: TensorData,
        num_classes: int,
        *,
        generator: torch.Generator,
        clean_model: ModelAdapter | None,
        test: TensorData | None,
    ) -> PoisonedSet:
        check_class(self.config.target_class, num_classes, "target_class")
        trigger = {k: v.cpu() for k, v in self.make_trigger(train.input_shape, generator).items()}
        idx = pick(self.eligible(train.y), self.budget(len(train)), generator)
        x, y = train.x.clone(), train.y.clone()
        x[idx] = self.apply_trigger(x[idx], trigger)
        y[idx] = self.target_labels(y[idx], num_classes)
        return PoisonedSet(TensorData(x, y), idx, trigger=trigger)

    def outcome(
        self, model: ModelAdapter, test: TensorData, poisoned: PoisonedSet, batch_size: int = 512
    ) -> AttackOutcome:
        """Success: eligible triggered test images classified as their target label.

        ``correct`` covers every triggered test image (accuracy under the trigger).
        """
        if poisoned.trigger is None:
            raise ConfigError(
                f"backdoor {self.plugin_name!r}: the poisoned set has no trigger",
                hint="measure a poisoned set made (or stored) by a backdoor attack",
            )
        num_classes = model.num_classes
        probs = model.predict_proba(
            self.apply_trigger(test.x, poisoned.trigger), batch_size=batch_size
        )
        pred = probs.argmax(1)
        keep = self.eligible(test.y)
        goal = self.target_labels(test.y[keep], num_classes)
        return AttackOutcome(
            success=pred[keep] == goal,
            correct=pred == test.y,
            target_probability=probs[keep].gather(1, goal[:, None]).squeeze(1),
        )


__all__ = ["BackdoorAttack", "BackdoorConfig"]
