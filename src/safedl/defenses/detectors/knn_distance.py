"""k-NN distance on normalised penultimate features — flag inputs far from the training data.

Paper: Sun, Ming, Zhu, Li, "Out-of-Distribution Detection with Deep Nearest Neighbors",
ICML 2022.
Threat: out-of-distribution and some adversarial inputs reaching a deployed model (access
``model``: the detector reads the served model's penultimate-layer features).
Parameters: ``k`` (neighbour rank; the paper uses 50 for CIFAR-10 with the whole training set,
scaled down here with the bank), ``bank_size`` (training images whose features form the bank,
a seeded random subset; the paper's α), ``target_fpr``, ``batch_size``.
Reports: the threshold, the target and measured false-positive rates (calibration and
held-out test splits, Wilson 95% CIs), the bank size, the latency.

Features are the input of the model's last ``nn.Linear`` (the penultimate layer), L2-normalised.
The score of an input is the distance from its feature to its ``k``-th nearest neighbour in the
bank; it is flagged above the ``1 - target_fpr`` quantile of clean validation scores. OpenOOD
v1.5 ranks KNN first among simple detectors on CIFAR-10 (AUROC 90.6 near / 93.0 far OOD).
It falls to adaptive attackers who pull the feature back towards the data: a risk signal.
"""

from __future__ import annotations

import time
from typing import ClassVar, Literal

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import Tensor

from safedl.defenses.base import AdaptiveNeeds, DefendedModel, Defense, DefenseContext
from safedl.defenses.detectors.threshold import (
    CalibratedConfig,
    ScoreDetector,
    calibration_split,
    detector_result,
    logits_and_features,
)
from safedl.models import ModelAdapter
from safedl.registry import DEFENSES


class KnnScore(ScoreDetector):
    """The k-NN detector bound to a model and a feature bank."""

    name = "knn_distance"

    def __init__(self, model: ModelAdapter, k: int = 10, batch_size: int = 256) -> None:
        super().__init__(model, batch_size)
        self.k = k
        self.bank = torch.zeros(0)
        self._bank_t = torch.zeros(0)

    def features(self, x: Tensor) -> Tensor:
        """``[N, D]`` L2-normalised penultimate features."""
        return F.normalize(logits_and_features(self.model, x)[1], dim=1).cpu()

    def fit(self, train: Tensor) -> KnnScore:
        """Build the bank from clean training images."""
        parts = [
            self.features(train[i : i + self.batch_size])
            for i in range(0, len(train), self.batch_size)
        ]
        self.bank = torch.cat(parts)
        self._bank_t = self.bank.t().contiguous()
        return self

    def from_features(self, feats: Tensor) -> Tensor:
        """``[N]`` distances to the ``k``-th nearest bank feature (higher: more anomalous)."""
        z = F.normalize(feats.float().cpu(), dim=1)
        k = min(self.k, len(self.bank))
        # Unit vectors: ||z - b||² = 2 - 2 z·b, so the k-th nearest is the k-th most similar.
        sim = (z @ self._bank_t).topk(k, dim=1).values[:, -1]
        return (2.0 - 2.0 * sim).clamp_min(0.0).sqrt()

    def raw(self, x: Tensor) -> Tensor:
        return self.from_features(self.features(x))


@DEFENSES.register(
    "knn_distance",
    family="detector",
    access="model",
    paper="Sun et al., Out-of-Distribution Detection with Deep Nearest Neighbors, ICML 2022",
)
class KnnDistance(Defense):
    """Flag inputs whose normalised feature is far from the training bank (Sun et al.)."""

    kind: ClassVar[Literal["detector"]] = "detector"
    adaptive: ClassVar[AdaptiveNeeds] = AdaptiveNeeds(detector=True)

    class Config(CalibratedConfig):
        """k-NN detector parameters."""

        k: int = Field(10, ge=1, description="Rank of the neighbour whose distance is the score.")
        bank_size: int = Field(5000, ge=1, description="Training images in the feature bank.")

    config: Config

    def detector(self, model: ModelAdapter) -> KnnScore:
        """An unfitted, uncalibrated detector on ``model``."""
        return KnnScore(model, self.config.k, self.config.batch_size)

    def calibrate(self, ctx: DefenseContext) -> KnnScore:
        """Fit the bank on a seeded subset of the training split, calibrate on validation."""
        train = ctx.training_set.x
        gen = torch.Generator().manual_seed(self.seed)
        pick = torch.randperm(len(train), generator=gen)[: self.config.bank_size]
        det = self.detector(ctx.baseline).fit(train[pick])
        det.calibrate(calibration_split(ctx).x, self.config.target_fpr)
        det.calibration["bank_size"] = len(det.bank)
        return det

    def apply(self, ctx: DefenseContext) -> DefendedModel:
        start = time.perf_counter()
        det = self.calibrate(ctx)
        return detector_result(self, ctx, det, seconds=time.perf_counter() - start)


__all__ = ["KnnDistance", "KnnScore"]
