"""Blended backdoor: a fixed noise pattern blended into poisoned images (see :class:`Blend`)."""

from __future__ import annotations

import torch
from pydantic import Field

from safedl.attacks.backdoor.base import BackdoorAttack, BackdoorConfig
from safedl.registry import ATTACKS


@ATTACKS.register(
    "blend",
    family="backdoor",
    access="training-data",
    paper="Chen et al., Targeted Backdoor Attacks on Deep Learning Systems Using Data "
    "Poisoning, 2017",
)
class Blend(BackdoorAttack):
    """Blended-injection backdoor: ``(1 − α)·x + α·pattern`` with a seeded noise pattern.

    Paper: Chen, Liu, Li, Lu, Song, "Targeted Backdoor Attacks on Deep Learning Systems Using
    Data Poisoning", 2017 (the blended-injection strategy; the paper blends a Hello Kitty
    image or random noise — here a uniform random pattern drawn from the seed).
    Threat: access ``training-data``: a share ``poison_fraction`` of the training set is
    blended and relabelled; the same blend is applied at test time.
    Reports: clean accuracy and its drop, attack success rate on triggered non-target test
    images, per-class accuracy before and after, the poison count; 95% CIs. The trigger
    (``mask``, ``pattern``) comes back with the poisoned set.
    """

    class Config(BackdoorConfig):
        """Blend parameters."""

        alpha: float = Field(
            0.2, gt=0.0, le=1.0, description="Opacity of the pattern (the paper: 0.2)."
        )

    config: Config

    def make_trigger(
        self, shape: tuple[int, int, int], generator: torch.Generator
    ) -> dict[str, torch.Tensor]:
        c, h, w = shape
        pattern = torch.rand((c, h, w), generator=generator)
        return {"mask": torch.full((1, h, w), self.config.alpha), "pattern": pattern}

    def picture(self, trigger: dict[str, torch.Tensor]) -> torch.Tensor:
        return trigger["pattern"]
