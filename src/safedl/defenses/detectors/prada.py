"""PRADA — per-client detection of model extraction from the distances between queries.

Paper: Juuti, Szyller, Marchal, Asokan, "PRADA: Protecting Against DNN Model Stealing
Attacks", EuroS&P 2019 (Algorithm 1; parameters as in the authors' Apache-2.0 reference code).
Threat: a client stealing the model through its query interface; the detector sits in front
of the model and sees every query of every client (access ``model``).
Parameters: ``threshold`` (δ: a client is flagged while the Shapiro–Wilk statistic W of its
distances is below it; ``None`` calibrates δ just below the lowest W seen on benign streams of
the validation split), ``min_distances`` (W is computed once more than this many distances
exist), ``every`` (W is recomputed every this many queries), ``min_per_class`` (only classes
with at least this many distances contribute), ``outlier_sigma`` (distances farther than this
many standard deviations from their mean are dropped before the test), ``calibration_streams``
(benign streams used to calibrate and to measure false alarms).
Reports: δ, benign streams flagged (Wilson 95% CI), the benign W values, the detection
overhead per query, and the blind spot below.

For each client and each predicted class ``c`` PRADA keeps a growing set ``G_c``: a new query
``x`` of class ``c`` has distance ``d = min_{y ∈ G_c} ||x - y||_2``; ``d`` is recorded, and when
``d`` exceeds the class threshold ``T_c``, ``x`` joins ``G_c`` and ``T_c`` becomes
``max(T_c, mean - std)`` of the distances that built ``G_c``. Benign natural queries give
roughly normally distributed distances; synthetic queries that step a small, fixed amount from
earlier ones (Papernot's Jacobian augmentation, its variants) do not, and W drops.

**Blind spot.** PRADA only sees how queries are spaced. An attacker who queries *natural*
images — Knockoff Nets with random or adaptive sampling from a natural pool, in or out of
distribution — produces a stream indistinguishable from a benign one, and PRADA stays silent
(Juuti et al. §VII; Orekondy et al. 2019). A silent PRADA is therefore no evidence against
natural-data extraction; pair it with rate limits and output hardening, and treat it as a
risk signal, not a guarantee (it also falls to adaptive attackers who shape their distances).
"""

from __future__ import annotations

import statistics
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import torch
from pydantic import Field
from torch import Tensor

from safedl.defenses.base import AdaptiveNeeds, DefendedModel, Defense, DefenseContext, DefenseCost
from safedl.defenses.cost import probe_images
from safedl.defenses.detectors.threshold import detector_model_id
from safedl.defenses.output.policy import DelegatingOracle
from safedl.evaluation.metrics import rate
from safedl.models import Oracle, OracleFactory, local_oracles
from safedl.models.oracle import OracleOutput
from safedl.registry import DEFENSES, PluginConfig

BLIND_SPOT = (
    "PRADA misses extraction with natural images (Knockoff Nets, random or adaptive sampling "
    "from a natural pool): such streams look benign, so silence is no evidence against them"
)


@dataclass
class ClientState:
    """What PRADA remembers about one client."""

    growing: dict[int, Tensor] = field(default_factory=dict)
    growing_distances: dict[int, list[float]] = field(default_factory=dict)
    thresholds: dict[int, float] = field(default_factory=dict)
    distances: dict[int, list[float]] = field(default_factory=dict)
    queries: int = 0
    flagged: bool = False
    flagged_at: int | None = None
    last_w: float | None = None
    w_history: list[float] = field(default_factory=list)


class PradaDetector:
    """The PRADA state of every client and the per-query update (see the module docstring)."""

    def __init__(
        self,
        threshold: float = 0.95,
        *,
        min_distances: int = 100,
        every: int = 10,
        min_per_class: int = 10,
        outlier_sigma: float = 3.0,
    ) -> None:
        self.threshold = threshold
        self.min_distances = min_distances
        self.every = every
        self.min_per_class = min_per_class
        self.outlier_sigma = outlier_sigma
        self.clients: dict[str, ClientState] = {}

    def state(self, client: str) -> ClientState:
        """The state of ``client`` (created empty on first use)."""
        return self.clients.setdefault(client, ClientState())

    def _add(self, s: ClientState, x: Tensor, c: int) -> None:
        if c not in s.growing:
            s.growing[c] = x.unsqueeze(0)
            s.growing_distances[c] = [0.0]
            s.thresholds[c] = 0.0
            return
        d = float((s.growing[c] - x).norm(dim=1).min())
        s.distances.setdefault(c, []).append(d)
        if d > s.thresholds[c]:
            s.growing[c] = torch.cat([s.growing[c], x.unsqueeze(0)])
            s.growing_distances[c].append(d)
            g = torch.tensor(s.growing_distances[c], dtype=torch.float64)
            s.thresholds[c] = max(s.thresholds[c], float(g.mean() - g.std(unbiased=False)))

    def statistic(self, s: ClientState) -> float | None:
        """Shapiro–Wilk W of the client's distances (``None`` while there are too few)."""
        from scipy import stats

        pooled = [d for ds in s.distances.values() if len(ds) >= self.min_per_class for d in ds]
        if not pooled:
            return None
        t = torch.tensor(pooled, dtype=torch.float64)
        t = t[(t - t.mean()).abs() < self.outlier_sigma * t.std(unbiased=False)]
        if len(t) <= self.min_distances:
            return None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "p-value may be inaccurate for N > 5000": W is used
            return float(stats.shapiro(t.numpy()).statistic)

    def observe(self, x: Tensor, labels: Tensor, client: str = "client") -> bool:
        """Feed one batch of a client's queries (in order) with the model's labels.

        Returns:
            Whether the client is flagged after the batch.
        """
        s = self.state(client)
        flat = x.detach().flatten(1).double().cpu()
        for row, c in zip(flat, labels.tolist(), strict=True):  # a stream: order matters
            if s.queries % self.every == 0:
                w = self.statistic(s)
                if w is not None:
                    s.last_w = w
                    s.w_history.append(w)
                    if w < self.threshold and not s.flagged:
                        s.flagged, s.flagged_at = True, s.queries
            self._add(s, row, int(c))
            s.queries += 1
        return s.flagged

    def report(self, client: str = "client") -> dict[str, Any]:
        """JSON summary of one client: queries, flag, W values, growing-set size."""
        s = self.state(client)
        return {
            "client": client,
            "queries": s.queries,
            "flagged": s.flagged,
            "flagged_at": s.flagged_at,
            "last_w": s.last_w,
            "min_w": min(s.w_history) if s.w_history else None,
            "threshold": self.threshold,
            "growing_set": sum(len(g) for g in s.growing.values()),
            "blind_spot": BLIND_SPOT,
        }


class MonitoredOracle(DelegatingOracle):
    """An Oracle that shows every query of one client to a :class:`PradaDetector`."""

    def __init__(self, inner: Oracle, labels: Oracle, detector: PradaDetector, client: str) -> None:
        super().__init__(inner)
        self._labels, self._detector, self._client = labels, detector, client

    def __call__(self, x: Tensor) -> Tensor:
        answer = self._inner(x)  # counted (and refused over budget) before it is observed
        self._detector.observe(x, self._labels(x), self._client)
        return answer


class PradaOracles:
    """Oracle factory whose Oracles report every query of ``client`` to ``detector``.

    The detector learns each query's predicted class from an uncounted label Oracle of
    ``inner`` (the server knows its own answers). Uncounted Oracles (``budget=None``: the
    assessor's measurements, never handed to an attack) are not monitored.
    """

    def __init__(
        self, inner: OracleFactory, detector: PradaDetector, client: str = "client"
    ) -> None:
        self.inner, self.detector, self.client = inner, detector, client

    def __call__(self, *, output: OracleOutput, budget: int | None = None, k: int = 1) -> Oracle:
        if budget is None:  # an uncounted measurement Oracle, never a client's
            return self.inner(output=output, budget=None, k=k)
        labels = self.inner(output="label", budget=None)
        return MonitoredOracle(
            self.inner(output=output, budget=budget, k=k), labels, self.detector, self.client
        )


@DEFENSES.register(
    "prada",
    family="detector",
    access="model",
    paper="Juuti et al., PRADA: Protecting Against DNN Model Stealing Attacks, EuroS&P 2019",
)
class Prada(Defense):
    """Flag clients whose query distances are not normally distributed (Juuti et al., 2019)."""

    kind: ClassVar[Literal["detector"]] = "detector"
    adaptive: ClassVar[AdaptiveNeeds] = AdaptiveNeeds(detector=True)
    answers = ("extraction",)
    evaluated_by = (("knockoff", {"max_queries": 1000}), ("jacobian", {"max_queries": 1000}))

    class Config(PluginConfig):
        """PRADA parameters."""

        threshold: float | None = Field(
            0.95, gt=0, lt=1, description="Shapiro–Wilk threshold δ; unset calibrates it."
        )
        min_distances: int = Field(100, ge=3, description="Distances needed before testing.")
        every: int = Field(10, ge=1, description="Queries between two tests.")
        min_per_class: int = Field(10, ge=1, description="Distances a class needs to count.")
        outlier_sigma: float = Field(3.0, gt=0, description="Outlier cut in std units.")
        calibration_streams: int = Field(5, ge=1, le=100, description="Benign streams.")

    config: Config

    def detector(self, threshold: float | None = None) -> PradaDetector:
        """A fresh detector with this defense's settings."""
        c = self.config
        return PradaDetector(
            threshold if threshold is not None else (c.threshold or 0.95),
            min_distances=c.min_distances,
            every=c.every,
            min_per_class=c.min_per_class,
            outlier_sigma=c.outlier_sigma,
        )

    def oracles(
        self, inner: OracleFactory, detector: PradaDetector, client: str = "client"
    ) -> OracleFactory:
        """``inner``'s Oracles, every query of ``client`` shown to ``detector``."""
        return PradaOracles(inner, detector, client)

    def benign_statistics(self, ctx: DefenseContext) -> list[float]:
        """The lowest W of each benign stream: the validation split in random orders."""
        data = ctx.splits.val if len(ctx.splits.val) else ctx.splits.test
        labels = ctx.baseline.predict(data.x, batch_size=ctx.batch_size)
        gen = torch.Generator().manual_seed(self.seed)
        lows = []
        for i in range(self.config.calibration_streams):
            order = torch.randperm(len(data), generator=gen)
            det = self.detector(threshold=0.0)
            det.observe(data.x[order], labels[order], f"benign-{i}")
            w = det.state(f"benign-{i}").w_history
            lows.append(min(w) if w else float("nan"))
        return lows

    def apply(self, ctx: DefenseContext) -> DefendedModel:
        start = time.perf_counter()
        lows = self.benign_statistics(ctx)
        seen = [w for w in lows if w == w]
        threshold = self.config.threshold
        if threshold is None:
            threshold = max(0.5, min(seen) - 0.005) if seen else 0.95
        false_alarms = sum(w < threshold for w in seen)
        calibrate_seconds = time.perf_counter() - start
        probe = probe_images(ctx)
        plain = local_oracles(ctx.baseline, ctx.batch_size)
        times: dict[str, list[float]] = {"plain": [], "monitored": []}
        for r in range(3):
            watched = self.oracles(plain, self.detector(threshold), "latency")
            # A counted Oracle, as a client gets: uncounted (measurement) ones are not watched.
            client = watched(output="probs", budget=len(probe))
            pair = (("plain", plain(output="probs")), ("monitored", client))
            for name, oracle in pair if r % 2 == 0 else reversed(pair):
                t0 = time.perf_counter()
                oracle(probe)
                times[name].append(time.perf_counter() - t0)
        ms = {k: 1000 * statistics.median(v) / len(probe) for k, v in times.items()}
        model_id = detector_model_id(self, ctx, threshold)
        return DefendedModel(
            defense=self.plugin_name,
            kind=self.kind,
            params=self.params,
            model=ctx.baseline,
            model_id=model_id,
            adaptive=type(self).adaptive,
            cost=DefenseCost(
                train_seconds=calibrate_seconds,
                latency_ms=ms["monitored"],
                baseline_latency_ms=ms["plain"],
                baseline_train_seconds=ctx.baseline_train_seconds,
            ),
            metrics={
                "threshold": threshold,
                "calibrated": self.config.threshold is None,
                "benign_min_w": lows,
                "benign_false_alarms": rate(false_alarms, len(seen)).to_dict(),
                "blind_spot": BLIND_SPOT,
                "latency_measured": "answers of the monitored vs. the plain Oracle, per query",
            },
        )


__all__ = ["BLIND_SPOT", "ClientState", "MonitoredOracle", "Prada", "PradaDetector", "PradaOracles"]
