"""STRIP — flag inputs whose prediction survives superimposition: low entropy means a trigger.

Paper: Gao, Xu, Wang, Chen, Ranasinghe, Nepal, "STRIP: A Defence Against Trojan Attacks on
Deep Neural Networks", ACSAC 2019.
Threat: an input-agnostic backdoor trigger presented at inference; the detector sits in front
of the model, holds clean held-out images (the validation split) and reads the model's
probabilities (access ``model``).
Parameters: ``replicas`` (N superimposed copies per input; the paper: 100), ``frr`` (false
rejection rate the threshold is calibrated to on clean validation data), ``blend`` (``add``:
pixel sum clipped to [0, 1], the paper's ``addWeighted(1, 1)`` on MNIST; ``average``: the mean
of the two images), ``calibration`` (``normal``: the paper's boundary, the ``frr`` percentile
of a normal distribution fitted to the clean entropies; ``quantile``: their empirical
``frr``-quantile), ``batch_size`` (superimposed images per forward pass), ``frr_probe``
(clean test images the realised FRR is measured on).
Reports: the threshold, the realised FRR on clean test images (95% CI), the clean entropy
distribution, the inference time of a STRIP-checked answer beside a plain one; the FAR at the
FRR and the FAR/FRR curve on triggered inputs come from :func:`far_frr_curve` (the measuring
core has the trigger, the detector does not).

For an input ``x`` STRIP superimposes ``N`` clean images drawn at random from the held-out set,
classifies each replica and computes, **per replica, the entropy over the classes**,
``H_n = −Σ_c p_c log₂ p_c``; the input's score is the sum over the replicas normalised by N,
``H = (1/N) Σ_n H_n`` (the paper's Eq. 3–4). A trigger dominates every blend and keeps the
prediction — low entropy — while a clean input's prediction scatters. The input is flagged
when ``H`` is below the detection boundary: as in the paper, the ``frr`` percentile of a normal
distribution fitted to the clean validation entropies (its mean and standard deviation). A
1% empirical quantile of a small calibration set is its one or two lowest values — on the
144 validation images of the 8×8 digits, the second lowest — so it moves with every draw;
the fitted percentile uses every clean entropy. (ART's STRIP takes
the entropy across the replicas for each class instead — the other axis — which is a
different statistic; do not cross-check against it.) Everything is batched: ``B × N``
replicas per forward pass chunk, never a per-sample loop. The paper reports, on MNIST with a
square trigger and N = 100, FAR 1.85% at FRR 1%.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import torch
from pydantic import Field

from safedl.defenses.base import AdaptiveNeeds, DefendedModel, Defense, DefenseContext, DefenseCost
from safedl.defenses.cost import probe_images
from safedl.defenses.detectors.threshold import detector_model_id
from safedl.errors import DataError
from safedl.evaluation.metrics import rate_of
from safedl.models import ModelAdapter
from safedl.registry import DEFENSES, PluginConfig
from safedl.store import content_key

LOG2 = torch.log(torch.tensor(2.0))

#: How the detection boundary is set from clean entropies (see :func:`boundary`).
Calibration = Literal["normal", "quantile"]


def superimpose(x: torch.Tensor, background: torch.Tensor, blend: str) -> torch.Tensor:
    """``x`` ``[B, 1, C, H, W]`` over ``background`` ``[B, N, C, H, W]``, in [0, 1]."""
    if blend == "average":
        return (x + background) / 2
    return (x + background).clamp(0, 1)


def strip_entropy(probs: torch.Tensor) -> torch.Tensor:
    """STRIP score of each input from ``[B, N, K]`` replica probabilities: ``[B]``.

    Per replica the Shannon entropy over the K classes (bits), then the sum over the N
    replicas normalised by N (Gao et al. 2019, Eq. 3-4) — not the entropy across replicas.
    """
    p = probs.double()
    per_replica = -(p * torch.log(p.clamp_min(1e-12))).sum(2) / LOG2.double()
    return (per_replica.sum(1) / p.shape[1]).float()


@dataclass
class StripDetector:
    """A calibrated STRIP detector around ``model`` (see the module docstring)."""

    model: ModelAdapter
    pool: torch.Tensor
    replicas: int
    blend: str
    threshold: float
    seed: int = 0
    batch_size: int = 1024
    boundary_method: Calibration = "normal"

    def entropy(self, x: torch.Tensor, *, seed_offset: int = 0) -> torch.Tensor:
        """``[B]`` STRIP entropy of each input: mean over replicas of the per-replica entropy."""
        gen = torch.Generator().manual_seed(self.seed * 7919 + seed_offset)
        n = self.replicas
        chunk = max(1, self.batch_size // n)
        out = []
        for i in range(0, len(x), chunk):
            xb = x[i : i + chunk]
            draw = torch.randint(len(self.pool), (len(xb), n), generator=gen)
            mixed = superimpose(xb[:, None], self.pool[draw], self.blend)
            probs = self.model.predict_proba(mixed.flatten(0, 1), batch_size=self.batch_size)
            out.append(strip_entropy(probs.view(len(xb), n, -1)))
        return torch.cat(out) if out else torch.zeros(0)

    def flags(self, x: torch.Tensor, *, seed_offset: int = 0) -> torch.Tensor:
        """``[B]`` bool: the input is flagged (entropy below the threshold)."""
        return self.entropy(x, seed_offset=seed_offset) < self.threshold


def boundary(clean: torch.Tensor, frr: float, calibration: Calibration = "normal") -> float:
    """Entropy below which an input is flagged, for a target ``frr`` on ``clean`` entropies.

    ``normal``: the ``frr`` percentile of the normal distribution with ``clean``'s mean and
    standard deviation (Gao et al. 2019); ``quantile``: the empirical ``frr``-quantile.
    """
    h = clean.double()
    if calibration == "quantile" or len(h) < 2 or float(h.std()) == 0.0:
        return float(torch.quantile(h, frr))
    normal = torch.distributions.Normal(h.mean(), h.std())
    return float(normal.icdf(torch.tensor(frr, dtype=torch.float64)))


def far_frr_curve(
    clean_calibration: torch.Tensor,
    clean_test: torch.Tensor,
    triggered: torch.Tensor,
    frrs: tuple[float, ...] = (0.005, 0.01, 0.02, 0.05, 0.1, 0.2),
    calibration: Calibration = "normal",
) -> list[dict[str, Any]]:
    """FAR and realised FRR at thresholds calibrated to each target FRR.

    Args:
        clean_calibration: Clean entropies the thresholds are calibrated on.
        clean_test: Clean held-out entropies (realised FRR: share flagged).
        triggered: Entropies of triggered inputs (FAR: share *not* flagged).
        frrs: Target false rejection rates.
        calibration: How each threshold is set (see :func:`boundary`).
    """
    rows = []
    for f in frrs:
        t = boundary(clean_calibration, f, calibration)
        rows.append(
            {
                "target_frr": f,
                "threshold": t,
                "frr": rate_of(clean_test < t).to_dict(),
                "far": rate_of(triggered >= t).to_dict(),
            }
        )
    return rows


def _median_seconds(fn: Any, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


@DEFENSES.register(
    "strip",
    family="detector",
    access="model",
    paper="Gao et al., STRIP: A Defence Against Trojan Attacks on Deep Neural Networks, ACSAC 2019",
)
class Strip(Defense):
    """Flag inputs whose superimposed replicas keep a low-entropy prediction."""

    kind: ClassVar[Literal["detector"]] = "detector"
    answers: ClassVar[tuple[str, ...]] = ("poisoning", "backdoor")
    adaptive: ClassVar[AdaptiveNeeds] = AdaptiveNeeds(detector=True)

    class Config(PluginConfig):
        """STRIP parameters."""

        replicas: int = Field(100, ge=2, le=10_000, description="Superimposed copies (N).")
        frr: float = Field(0.01, gt=0, lt=1, description="Calibrated false rejection rate.")
        blend: Literal["add", "average"] = Field("add", description="How images are overlaid.")
        calibration: Calibration = Field(
            "normal", description="Boundary: fitted normal's percentile, or empirical quantile."
        )
        batch_size: int = Field(256, ge=1, description="Replicas per forward pass.")
        frr_probe: int = Field(
            1000, ge=1, description="Clean test images the realised FRR is measured on."
        )

    config: Config

    def detector(self, ctx: DefenseContext) -> tuple[StripDetector, dict[str, Any], float]:
        """The detector calibrated on ``ctx``'s validation split (stored by content key).

        Returns:
            ``(detector, calibration state, seconds spent calibrating)``.

        Raises:
            DataError: The validation split is empty.
        """
        pool = ctx.splits.val.x
        if len(pool) < 2:
            raise DataError(
                "strip needs clean held-out images to superimpose and calibrate on, but the "
                "validation split has fewer than 2",
                hint="set dataset.val_fraction above 0 (e.g. 0.1)",
            )
        cfg = self.config
        det = StripDetector(
            ctx.baseline,
            pool,
            cfg.replicas,
            cfg.blend,
            threshold=0.0,
            seed=self.seed,
            batch_size=cfg.batch_size,
            boundary_method=cfg.calibration,
        )
        key = content_key("strip", {"defense": self.key(ctx), "val": ctx.splits.val.fingerprint()})
        if ctx.store.has(key):
            state = {"clean_entropy": ctx.store.load_tensors(key)["clean_entropy"]}
            seconds = 0.0
        else:
            start = time.perf_counter()
            state = {"clean_entropy": det.entropy(pool)}
            seconds = time.perf_counter() - start
            ctx.store.save_tensors(key, state, {"defense": self.plugin_name, "params": self.params})
        det.threshold = boundary(state["clean_entropy"], cfg.frr, det.boundary_method)
        return det, {**state, "key": key}, seconds

    def apply(self, ctx: DefenseContext) -> DefendedModel:
        det, state, seconds = self.detector(ctx)
        probe = probe_images(ctx, 64)
        plain = _median_seconds(lambda: ctx.baseline.predict(probe, batch_size=ctx.batch_size))
        checked = _median_seconds(
            lambda: (det.flags(probe), ctx.baseline.predict(probe, batch_size=ctx.batch_size))
        )
        test_h = det.entropy(ctx.splits.test.x[: self.config.frr_probe], seed_offset=1)
        clean = state["clean_entropy"]
        model_id = detector_model_id(self, ctx, det.threshold)
        return DefendedModel(
            defense=self.plugin_name,
            kind=self.kind,
            params=self.params,
            model=ctx.baseline,
            model_id=model_id,
            adaptive=type(self).adaptive,
            cost=DefenseCost(
                train_seconds=seconds,
                latency_ms=1000 * checked / len(probe),
                baseline_latency_ms=1000 * plain / len(probe),
                baseline_train_seconds=ctx.baseline_train_seconds,
                extra_memory_mb=det.pool.numel() * det.pool.element_size() / 2**20,
                reused=seconds == 0.0,
            ),
            artifact=state["key"],
            metrics={
                "threshold": det.threshold,
                "target_frr": self.config.frr,
                "test_frr": rate_of(test_h < det.threshold).to_dict(),
                "clean_entropy": {
                    "mean": float(clean.mean()),
                    "std": float(clean.std()),
                    "min": float(clean.min()),
                    "max": float(clean.max()),
                },
                "calibration_samples": len(clean),
                "overhead": checked / plain if plain > 0 else 0.0,
            },
        )


__all__ = ["Strip", "StripDetector", "boundary", "far_frr_curve", "strip_entropy", "superimpose"]
