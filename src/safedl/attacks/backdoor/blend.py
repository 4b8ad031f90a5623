"""Blended backdoor: a fixed noise pattern blended into poisoned images with opacity alpha.

Paper: Chen, Liu, Li, Lu, Song, "Targeted Backdoor Attacks on Deep Learning Systems Using Data
Poisoning", 2017 (arXiv:1712.05526).
Threat: training-data control (access ``training-data``); the blended pattern is the trigger.
"""

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
    Data Poisoning", 2017 (the blended-injection strategy; the paper blends a Hello Kitty image
    or random noise — here a uniform random pattern drawn from the seed).
    Threat: training-data control (access ``training-data``): a share ``poison_fraction`` of the
    training set is blended and relabelled; the same blend is applied at test time.
    Parameters: ``poison_fraction`` (default 0.1), ``alpha`` (opacity, default 0.2; the paper
    uses 0.2 for poisoning), ``target_class``, ``mode`` (``all_to_one`` or ``all_to_all``).
    Reports: clean accuracy and its drop, attack success rate on triggered non-target test
    images, per-class accuracy before and after, the poison count; 95% CIs.
    """

    class Config(BackdoorConfig):
        """Blend parameters."""

        alpha: float = Field(0.2, gt=0.0, le=1.0, description="Opacity of the pattern.")

    config: Config

    def make_trigger(
        self, shape: tuple[int, int, int], generator: torch.Generator
    ) -> dict[str, torch.Tensor]:
        c, h, w = shape
        pattern = torch.rand((c, h, w), generator=generator)
        return {"mask": torch.full((1, h, w), self.config.alpha), "pattern": pattern}

    def trigger_image(self) -> torch.Tensor:
        return self._require_trigger()["pattern"]
