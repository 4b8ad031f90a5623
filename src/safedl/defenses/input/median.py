"""Median smoothing — replace every pixel by the median of its k×k neighbourhood.

Paper: Xu, Evans, Qi, "Feature Squeezing: Detecting Adversarial Examples in Deep Neural
Networks", NDSS 2018 (spatial smoothing, used here as a preprocessing defense).
Threat: any input perturbation; access ``white-box`` (the attacker knows the preprocessing).
Parameters: ``kernel`` (odd window side, default 3).
Reports: the defended model (the filter in front of the baseline's network), clean accuracy
beside the baseline's, measured latency; declares ``differentiable: true`` and provides a BPDA
model (identity in the backward pass) as an alternative view.

Batched: reflect-pad, ``unfold`` every k×k window and take the median per channel. Unlike JPEG
and quantisation, the median is piecewise linear, not piecewise constant: its gradient is exact
almost everywhere (it reaches the pixel each window selects), so plain gradient attacks are not
masked and it is declared differentiable. Measured on Fashion-MNIST (small CNN, 500 test images,
L∞ ε = 0.1): baseline 9.0% under PGD-20; with a 3×3 median, 83.8% clean (from 87.4%), 9.6%
under plain PGD-20 and 11.0% under BPDA PGD-50 — the filter buys nothing against an attacker
who knows it, and plain PGD through it is at least as strong as BPDA.
"""

from __future__ import annotations

from typing import ClassVar

import torch
from pydantic import Field, field_validator
from torch.nn import functional as F

from safedl.defenses.base import AdaptiveNeeds
from safedl.defenses.input.base import InputDefense, InputTransform
from safedl.registry import DEFENSES, PluginConfig


class MedianFilter(InputTransform):
    """k×k median filter with reflect padding, per channel."""

    def __init__(self, kernel: int) -> None:
        super().__init__()
        self.kernel = kernel

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k, (n, c, h, w) = self.kernel, x.shape
        pad = k // 2
        mode = "reflect" if min(h, w) > pad else "replicate"
        padded = F.pad(x, (pad, pad, pad, pad), mode=mode)
        windows = F.unfold(padded, kernel_size=k)  # [N, C·k·k, H·W]
        return windows.view(n, c, k * k, h * w).median(dim=2).values.view(n, c, h, w)

    def extra_repr(self) -> str:
        return f"kernel={self.kernel}"


@DEFENSES.register(
    "median",
    family="input",
    access="white-box",
    norms=("linf", "l2"),
    paper="Xu et al., Feature Squeezing, NDSS 2018",
)
class Median(InputDefense):
    """Median smoothing in front of the model (Xu et al., 2018)."""

    class Config(PluginConfig):
        """Median-filter parameters."""

        kernel: int = Field(3, ge=3, le=15, description="Odd side of the median window.")

        @field_validator("kernel")
        @classmethod
        def _odd(cls, v: int) -> int:
            if v % 2 == 0:
                raise ValueError(f"kernel must be odd (3, 5, ...), got {v}")
            return v

    config: Config
    adaptive: ClassVar[AdaptiveNeeds] = AdaptiveNeeds(differentiable=True)

    def transform(self) -> InputTransform:
        return MedianFilter(self.config.kernel)


__all__ = ["Median", "MedianFilter"]
