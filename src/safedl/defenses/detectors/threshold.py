"""Shared calibration of per-input detectors: a threshold at a target false-positive rate.

A per-input detector maps each image to an anomaly score (higher means more anomalous) and
flags scores above a threshold. The threshold is the ``1 - target_fpr`` quantile of the scores
of clean validation images, so about ``target_fpr`` of clean inputs are flagged; the rate
actually observed on the calibration split and on the held-out test split is recorded with its
95% CI next to the threshold (a recorded target is never taken on trust).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import torch
from pydantic import Field
from torch import Tensor

from safedl.data import TensorData
from safedl.defenses.base import AdaptiveNeeds, DefendedModel, DefenseContext, DefenseCost
from safedl.defenses.cost import probe_images
from safedl.defenses.data.features import class_layer
from safedl.errors import ConfigError
from safedl.evaluation.metrics import rate_of
from safedl.models import ModelAdapter, model_fingerprint
from safedl.registry import PluginConfig
from safedl.store import content_key


class CalibratedConfig(PluginConfig):
    """Parameters every calibrated per-input detector shares."""

    target_fpr: float = Field(
        0.05, gt=0, lt=0.5, description="Share of clean inputs the threshold may flag."
    )
    batch_size: int = Field(256, ge=1, description="Images per forward pass when scoring.")


def calibrate_threshold(scores: Tensor, target_fpr: float) -> float:
    """The ``1 - target_fpr`` quantile of clean ``scores``: flags above it are false alarms."""
    if len(scores) == 0:
        raise ConfigError("no clean images to calibrate the detector's threshold on")
    return float(torch.quantile(scores.double(), 1.0 - target_fpr, interpolation="higher"))


def calibration_split(ctx: DefenseContext) -> TensorData:
    """The clean validation split (refused when the run has none)."""
    if len(ctx.splits.val) == 0:
        raise ConfigError(
            "the detector needs a clean validation split to calibrate its threshold on",
            hint="set dataset.val_fraction above 0 in the profile",
        )
    return ctx.splits.val


def batched_scores(score: Callable[[Tensor], Tensor], x: Tensor, batch_size: int) -> Tensor:
    """``score`` over ``x`` in batches, concatenated on the CPU."""
    parts = [score(x[i : i + batch_size]).cpu() for i in range(0, len(x), batch_size)]
    return torch.cat(parts) if parts else torch.zeros(0)


def logits_and_features(model: ModelAdapter, x: Tensor) -> tuple[Tensor, Tensor]:
    """Logits and penultimate-layer features (the input of the last ``nn.Linear``)."""
    seen: list[Tensor] = []
    hook = class_layer(model.module).register_forward_hook(
        lambda _m, args, _out: seen.append(args[0])
    )
    try:
        with model.attack_mode(), torch.inference_mode():
            logits = model.logits(x.to(model.device))
    finally:
        hook.remove()
    return logits.float(), seen[-1].flatten(1).float()


class ScoreDetector:
    """A per-input detector bound to a model: scores (higher = more anomalous), a threshold.

    Subclasses implement :meth:`raw` for one batch; :meth:`calibrate` sets the threshold at a
    target false-positive rate on clean images and records what it measured.
    """

    name = "detector"

    def __init__(self, model: ModelAdapter, batch_size: int = 256) -> None:
        self.model = model
        self.batch_size = batch_size
        self.threshold = float("inf")
        self.calibration: dict[str, Any] = {}

    def raw(self, x: Tensor) -> Tensor:
        """``[N]`` anomaly scores of one batch of ``[0, 1]`` images."""
        raise NotImplementedError

    def scores(self, x: Tensor) -> Tensor:
        """``[N]`` anomaly scores of ``x`` (batched, on the CPU)."""
        return batched_scores(self.raw, x, self.batch_size)

    def flags(self, scores: Tensor) -> Tensor:
        """``[N]`` bool: the scores above the threshold."""
        return scores > self.threshold

    def calibrate(self, clean: Tensor, target_fpr: float) -> ScoreDetector:
        """Set the threshold so that about ``target_fpr`` of ``clean`` images are flagged."""
        s = self.scores(clean)
        self.threshold = calibrate_threshold(s, target_fpr)
        self.calibration = {
            "threshold": self.threshold,
            "target_fpr": target_fpr,
            "calibration_samples": len(s),
            "calibration_fpr": rate_of(self.flags(s)).to_dict(),
            "score": "higher is more anomalous; flagged above the threshold",
        }
        return self


def detector_model_id(defense: Any, ctx: DefenseContext, threshold: float | None) -> str:
    """Content id of a detector in front of ``ctx.baseline``: network, defense, params, δ."""
    return content_key(
        "model",
        {
            "network": model_fingerprint(ctx.baseline),
            "defense": defense.plugin_name,
            "params": defense.params,
            "threshold": threshold,
        },
    )


def detector_result(
    defense: Any,
    ctx: DefenseContext,
    detector: Any,
    *,
    seconds: float,
    extra: dict[str, Any] | None = None,
) -> DefendedModel:
    """The :class:`DefendedModel` of a calibrated per-input detector: threshold, FPRs, cost."""
    test = ctx.splits.test
    test_fpr = rate_of(detector.scores(test.x) > detector.threshold) if len(test) else None
    probe = probe_images(ctx)
    t0 = time.perf_counter()
    ctx.baseline.predict_proba(probe, ctx.batch_size)
    plain = time.perf_counter() - t0
    t0 = time.perf_counter()
    detector.scores(probe)
    watched = time.perf_counter() - t0
    model_id = detector_model_id(defense, ctx, detector.threshold)
    return DefendedModel(
        defense=defense.plugin_name,
        kind="detector",
        params=defense.params,
        model=ctx.baseline,
        model_id=model_id,
        adaptive=AdaptiveNeeds(detector=True),
        cost=DefenseCost(
            train_seconds=seconds,
            latency_ms=1000 * (plain + watched) / len(probe),
            baseline_latency_ms=1000 * plain / len(probe),
            baseline_train_seconds=ctx.baseline_train_seconds,
        ),
        metrics={
            **detector.calibration,
            "test_fpr": test_fpr.to_dict() if test_fpr is not None else None,
            **(extra or {}),
        },
    )


__all__ = [
    "CalibratedConfig",
    "ScoreDetector",
    "batched_scores",
    "calibrate_threshold",
    "calibration_split",
    "detector_model_id",
    "detector_result",
    "logits_and_features",
]
