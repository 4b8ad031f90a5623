"""Bit-depth reduction — quantise every pixel to a few levels ("feature squeezing").

Paper: Xu, Evans, Qi, "Feature Squeezing: Detecting Adversarial Examples in Deep Neural
Networks", NDSS 2018 (used here as a preprocessing defense, not as the detector). Broken by BPDA
in Athalye, Carlini, Wagner, "Obfuscated Gradients Give a False Sense of Security", ICML 2018.
Threat: any input perturbation; access ``white-box`` (the attacker knows the preprocessing).
Parameters: ``bits`` (levels per channel = 2^bits, default 4).
Reports: the defended model (the quantiser in front of the baseline's network), clean accuracy
beside the baseline's, measured latency; declares ``differentiable: false`` and provides the
BPDA model (identity in the backward pass).

``round(x · (2^b − 1)) / (2^b − 1)``: piecewise constant, so its gradient is zero almost
everywhere and plain PGD stalls. What it really buys is what it removes from the attacker's
room: a perturbation smaller than half a quantisation step is erased, so on images whose
pixels sit at the levels (Fashion-MNIST backgrounds) a coarse quantiser gives a genuine, modest
gain under BPDA.
"""

from __future__ import annotations

import torch
from pydantic import Field

from safedl.defenses.input.base import InputDefense, InputTransform
from safedl.registry import DEFENSES, PluginConfig


class Quantize(InputTransform):
    """Round each pixel to ``2^bits`` evenly spaced levels in [0, 1]."""

    def __init__(self, bits: int) -> None:
        super().__init__()
        self.bits = bits
        self.levels = float(2**bits - 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.round(x.clamp(0.0, 1.0) * self.levels) / self.levels

    def extra_repr(self) -> str:
        return f"bits={self.bits}"


@DEFENSES.register(
    "bit_depth_reduction",
    family="input",
    access="white-box",
    norms=("linf", "l2"),
    paper="Xu et al., Feature Squeezing, NDSS 2018",
)
class BitDepthReduction(InputDefense):
    """Bit-depth reduction in front of the model (Xu et al., 2018).

    Registered as ``bit_depth_reduction``: the name ``bit_depth`` belongs to the example
    third-party plugin in the tests.
    """

    class Config(PluginConfig):
        """Bit-depth parameters."""

        bits: int = Field(4, ge=1, le=8, description="Bits per channel kept (2^bits levels).")

    config: Config

    def transform(self) -> InputTransform:
        return Quantize(self.config.bits)


__all__ = ["BitDepthReduction", "Quantize"]
