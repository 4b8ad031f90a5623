"""Detectors in the request path: per-input scores and per-client state, with their actions.

Each entry of the serve config's ``detectors`` names a registered detector defense; it is
calibrated at start-up on the run's clean validation split against the *served* model (the
threshold and the measured false-positive rate are logged and shown at ``/v1/model``):

* per input — ``energy`` (from the logits the server computed anyway), ``knn_distance`` (from
  the penultimate features of the same forward pass), ``feature_squeezing`` (two extra passes),
  ``strip`` (Gao et al. 2019: ``replicas`` extra passes);
* per client — ``query_similarity`` (Chen et al. 2020) and ``prada`` (Juuti et al. 2019).

A detector runs on every request (``when: always``), on a seeded random share of them
(``sampled``, ``sample_rate``), or only on requests an earlier detector flagged (``flagged``:
a costlier second opinion). A flag's action is ``log`` (the log line says so), ``header``
(``X-SafeDL-Flags`` names the detectors that fired) or ``refuse`` (403; the answer is
withheld).
"""

from __future__ import annotations

import dataclasses
import math
import random
from dataclasses import dataclass
from typing import Any

from torch import Tensor

from safedl.defenses.base import DefenseContext
from safedl.defenses.detectors.energy import EnergyScore
from safedl.defenses.detectors.knn_distance import KnnScore
from safedl.defenses.detectors.prada import Prada, PradaDetector
from safedl.defenses.detectors.query_similarity import QuerySimilarityDetector
from safedl.defenses.detectors.strip import Strip, StripDetector
from safedl.defenses.detectors.threshold import ScoreDetector
from safedl.errors import ConfigError, SafeDLError
from safedl.registry import DEFENSES
from safedl.serve.config import DetectorConfig

IN_PATH = ("energy", "knn_distance", "feature_squeezing", "strip", "query_similarity", "prada")


@dataclass
class Outcome:
    """What one detector said about one request."""

    name: str
    action: str
    scores: list[float | None]
    flagged: bool

    def to_dict(self) -> dict[str, Any]:
        return {"scores": self.scores, "flagged": self.flagged, "action": self.action}


def _floats(t: Tensor) -> list[float | None]:
    return [None if math.isnan(v) else round(v, 6) for v in t.tolist()]


class Runtime:
    """One configured detector, calibrated, and when it runs."""

    def __init__(
        self,
        name: str,
        action: str,
        detector: Any,
        threshold: float,
        *,
        when: str = "always",
        sample_rate: float = 1.0,
        info: dict[str, Any] | None = None,
        seed: int = 0,
    ) -> None:
        self.name, self.action, self.detector, self.threshold = name, action, detector, threshold
        self.when, self.sample_rate = when, sample_rate
        self.needs_features = isinstance(detector, KnnScore)
        self.info = info or {}
        self._rng = random.Random(seed)

    def due(self, flagged_before: bool) -> bool:
        """Whether this detector looks at the current request."""
        if self.when == "flagged":
            return flagged_before
        if self.when == "sampled":
            return self._rng.random() < self.sample_rate
        return True

    def run(
        self, x: Tensor, logits: Tensor, feats: Tensor | None, labels: Tensor, client: str
    ) -> Outcome:
        d = self.detector
        if isinstance(d, QuerySimilarityDetector):
            s, flags = d.observe(x, client)
            return Outcome(self.name, self.action, _floats(s), bool(flags.any()))
        if isinstance(d, PradaDetector):
            flagged = d.observe(x, labels, client)
            w = d.state(client).last_w
            return Outcome(self.name, self.action, [w] * len(x), flagged)
        if isinstance(d, StripDetector):
            s = d.entropy(x)
            return Outcome(self.name, self.action, _floats(s), bool((s < self.threshold).any()))
        if isinstance(d, EnergyScore):
            s = d.from_logits(logits)
        elif isinstance(d, KnnScore) and feats is not None:
            s = d.from_features(feats)
        else:
            s = d.scores(x)
        return Outcome(self.name, self.action, _floats(s), bool(d.flags(s).any()))

    def describe(self) -> dict[str, Any]:
        info = dict(getattr(self.detector, "calibration", {}) or self.info)
        info.update(name=self.name, action=self.action, threshold=self.threshold, when=self.when)
        if self.when == "sampled":
            info["sample_rate"] = self.sample_rate
        return info


def _build(spec: DetectorConfig, where: str, ctx: DefenseContext) -> Runtime:
    if spec.name not in IN_PATH:
        raise ConfigError(
            f"{where}.name: {spec.name!r} cannot run in the request path",
            hint=f"choose one of {', '.join(IN_PATH)}",
        )
    try:
        defense = DEFENSES.create(spec.name, spec.params, seed=ctx.seed)
    except SafeDLError as exc:
        raise ConfigError(f"{where}: {exc.message}", hint=exc.hint) from None

    def runtime(det: Any, threshold: float, info: dict[str, Any] | None = None) -> Runtime:
        return Runtime(
            spec.name,
            spec.action,
            det,
            threshold,
            when=spec.when,
            sample_rate=spec.sample_rate,
            info=info,
            seed=ctx.seed,
        )

    if isinstance(defense, Prada):
        threshold = defense.config.threshold
        if threshold is None:
            lows = [w for w in defense.benign_statistics(ctx) if w == w]
            threshold = max(0.5, min(lows) - 0.005) if lows else 0.95
        return runtime(defense.detector(threshold), threshold)
    if isinstance(defense, Strip):
        strip, state, _ = defense.detector(ctx)
        info = {"frr": defense.config.frr, "replicas": defense.config.replicas, "key": state["key"]}
        return runtime(strip, strip.threshold, info)
    det = defense.calibrate(ctx)
    return runtime(det, float(det.threshold))


def build_detectors(
    specs: list[DetectorConfig], ctx: DefenseContext, served: Any = None
) -> list[Runtime]:
    """Calibrate every configured detector against the served model (``served``, an adapter)."""
    if served is not None:
        ctx = dataclasses.replace(ctx, baseline=served)
    names = [s.name for s in specs]
    for i, n in enumerate(names):
        if names.count(n) > 1:
            raise ConfigError(f"detectors[{i}].name: {n!r} is listed twice")
    return [_build(s, f"detectors[{i}]", ctx) for i, s in enumerate(specs)]


__all__ = ["IN_PATH", "Outcome", "Runtime", "ScoreDetector", "build_detectors"]
