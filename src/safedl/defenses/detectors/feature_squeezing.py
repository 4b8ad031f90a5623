"""Feature squeezing — flag inputs whose prediction moves when the input is squeezed.

Paper: Xu, Evans, Qi, "Feature Squeezing: Detecting Adversarial Examples in Deep Neural
Networks", NDSS 2018.
Threat: adversarial examples (any norm) reaching a deployed model (access ``model``: the
detector queries the served model on squeezed copies of each input).
Parameters: ``bits`` (bit-depth reduction; the paper uses 1 bit for MNIST), ``kernel`` (median
filter size, odd), ``target_fpr`` (the paper calibrates at 5%), ``batch_size``.
Reports: the threshold, target and measured false-positive rates (calibration and held-out
test splits, Wilson 95% CIs), the latency (three forward passes per input).

The score is ``max(‖p(x) − p(q(x))‖₁, ‖p(x) − p(m(x))‖₁)`` over the softmax outputs ``p`` of
the original, the bit-depth-reduced ``q(x)`` and the median-smoothed ``m(x)`` input; an input
is flagged above the ``1 - target_fpr`` quantile of clean validation scores. Costly (two extra
forward passes), so it suits sampled or already-flagged inputs; adaptive attackers who make
the squeezed predictions agree defeat it (He et al., 2017): a risk signal, not a guarantee.
"""

from __future__ import annotations

import time
from typing import ClassVar, Literal

import torch
from pydantic import Field, field_validator
from torch import Tensor

from safedl.defenses.base import AdaptiveNeeds, DefendedModel, Defense, DefenseContext
from safedl.defenses.detectors.threshold import (
    CalibratedConfig,
    ScoreDetector,
    calibration_split,
    detector_result,
)
from safedl.defenses.input.bit_depth import Quantize
from safedl.defenses.input.median import MedianFilter
from safedl.models import ModelAdapter
from safedl.registry import DEFENSES


class SqueezeScore(ScoreDetector):
    """The feature-squeezing detector bound to a model."""

    name = "feature_squeezing"

    def __init__(self, model: ModelAdapter, bits: int, kernel: int, batch_size: int = 256):
        super().__init__(model, batch_size)
        self.squeezers = (Quantize(bits), MedianFilter(kernel))

    def raw(self, x: Tensor) -> Tensor:
        x = x.to(self.model.device)
        batch = torch.cat([x, *(s(x) for s in self.squeezers)])
        with self.model.attack_mode(), torch.inference_mode():
            p = self.model.logits(batch).float().softmax(1).view(3, len(x), -1)
        return (p[1:] - p[0]).abs().sum(2).amax(0).cpu()


@DEFENSES.register(
    "feature_squeezing",
    family="detector",
    access="model",
    paper="Xu et al., Feature Squeezing: Detecting Adversarial Examples, NDSS 2018",
)
class FeatureSqueezing(Defense):
    """Flag inputs whose squeezed predictions differ from the original's (Xu et al.)."""

    kind: ClassVar[Literal["detector"]] = "detector"
    adaptive: ClassVar[AdaptiveNeeds] = AdaptiveNeeds(detector=True)

    class Config(CalibratedConfig):
        """Feature-squeezing parameters."""

        bits: int = Field(4, ge=1, le=8, description="Bits per pixel after reduction.")
        kernel: int = Field(3, ge=3, le=7, description="Median filter size (odd).")

        @field_validator("kernel")
        @classmethod
        def _odd(cls, v: int) -> int:
            if v % 2 == 0:
                raise ValueError("the median filter size must be odd (3, 5 or 7)")
            return v

    config: Config

    def detector(self, model: ModelAdapter) -> SqueezeScore:
        """An uncalibrated detector on ``model``."""
        c = self.config
        return SqueezeScore(model, c.bits, c.kernel, c.batch_size)

    def calibrate(self, ctx: DefenseContext) -> SqueezeScore:
        """The detector on the baseline, its threshold set on the validation split."""
        det = self.detector(ctx.baseline)
        det.calibrate(calibration_split(ctx).x, self.config.target_fpr)
        return det

    def apply(self, ctx: DefenseContext) -> DefendedModel:
        start = time.perf_counter()
        det = self.calibrate(ctx)
        return detector_result(self, ctx, det, seconds=time.perf_counter() - start)


__all__ = ["FeatureSqueezing", "SqueezeScore"]
