"""Stateful query-similarity detection — flag clients whose queries cluster unnaturally.

Paper: Chen, Carlini, Wagner, "Stateful Detection of Black-Box Adversarial Attacks",
ACM SPAI 2020.
Threat: query-based black-box evasion (Square, NES, SPSA, HopSkipJump, boundary attacks):
such attacks query many near-identical images; the detector sees every query of every client
(access ``model``).
Parameters: ``k`` (neighbours averaged; 50 in the paper), ``buffer`` (recent queries kept per
client), ``target_fpr`` (share of benign queries the threshold may flag; the paper uses 0.1%),
``calibration_queries`` (length of the benign stream it is calibrated on), ``downsample``
(images are average-pooled to at most this side before distances are taken).
Reports: the threshold, the target and measured false-positive rate on the benign calibration
stream and on a second benign stream from the test split (Wilson 95% CIs), the latency.

For each query the detector takes the mean L2 distance to its ``k`` nearest queries among the
client's last ``buffer`` ones; a mean below the threshold flags the client (and, as in the
paper, clears its buffer so the number of detections counts the attack's restarts). The paper
measures distances in the space of a learned similarity encoder; here they are taken in pixel
space (after pooling), which the paper reports already detects the standard attacks and which
needs no extra training — an encoder would resist attackers who add large random
transformations between queries. Adaptive attackers who space their queries out evade it:
a risk signal, not a guarantee.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
import torch
import torch.nn.functional as F
from pydantic import Field
from torch import Tensor

from safedl.data import TensorData
from safedl.defenses.base import AdaptiveNeeds, DefendedModel, Defense, DefenseContext, DefenseCost
from safedl.defenses.cost import measure_latency
from safedl.defenses.detectors.threshold import detector_model_id
from safedl.evaluation.metrics import rate_of
from safedl.registry import DEFENSES, PluginConfig


def _distances(z: Tensor, past: Tensor, past_sq: Tensor) -> Tensor:
    """``[N, P]`` L2 distances through one matrix product, ``||z||² + ||b||² - 2 z·b``, with
    the kept queries' squared norms cached: ~5x faster than ``torch.cdist`` for one query
    against a full buffer (float32; ~1e-3 absolute error on near-duplicates, which are
    flagged either way)."""
    sq = (z * z).sum(1, keepdim=True) + past_sq[None, :] - 2.0 * (z @ past.t())
    return sq.clamp_min_(0.0).sqrt_()


@dataclass
class ClientBuffer:
    """One client's recent queries (a ring of ``buffer`` rows) and detections."""

    ring: Tensor
    #: Squared norms of the ring's rows (kept in step with it).
    ring_sq: Tensor
    count: int = 0
    head: int = 0
    seen: int = 0
    detections: int = 0
    first_flag_at: int | None = None
    last_score: float | None = None

    @property
    def queries(self) -> Tensor:
        """The kept queries (in ring order: ``age`` says which came when)."""
        return self.ring[: self.count]

    @property
    def queries_sq(self) -> Tensor:
        return self.ring_sq[: self.count]

    def age(self) -> Tensor:
        """How many queries arrived after each kept one (0 for the newest)."""
        return (self.head - 1 - torch.arange(self.count)) % len(self.ring)

    def clear(self) -> None:
        self.count = self.head = 0

    def push(self, z: Tensor) -> None:
        """Keep ``z``'s rows, dropping the oldest beyond the ring's size; no reallocation."""
        size = len(self.ring)
        z = z[-size:]
        zsq = (z * z).sum(1)
        end = self.head + len(z)
        if end <= size:
            self.ring[self.head : end], self.ring_sq[self.head : end] = z, zsq
        else:
            first = size - self.head
            self.ring[self.head :], self.ring_sq[self.head :] = z[:first], zsq[:first]
            self.ring[: end - size], self.ring_sq[: end - size] = z[first:], zsq[first:]
        self.head = end % size
        self.count = min(size, self.count + len(z))


class QuerySimilarityDetector:
    """Per-client buffers of recent queries and the k-NN mean distance of each new query."""

    name = "query_similarity"

    def __init__(
        self, threshold: float, *, k: int = 50, buffer: int = 1000, downsample: int = 16
    ) -> None:
        self.threshold = threshold
        self.k, self.buffer, self.downsample = k, buffer, downsample
        self.clients: dict[str, ClientBuffer] = {}
        self.calibration: dict[str, Any] = {}

    def embed(self, x: Tensor) -> Tensor:
        """``[N, D]`` pooled, flattened images: the space distances are taken in."""
        x = x.detach().float().cpu()
        side = max(x.shape[-2:])
        if side > self.downsample:
            x = F.adaptive_avg_pool2d(x, self.downsample)
        return x.flatten(1)

    def distances(
        self,
        z: Tensor,
        past: Tensor,
        age: Tensor | None = None,
        past_sq: Tensor | None = None,
    ) -> Tensor:
        """``[N]`` mean distance of each row of ``z`` to its ``k`` nearest earlier queries.

        A row's earlier queries are the last ``buffer`` before it: rows of ``past`` (whose
        ``age`` says how many queries came after each, 0 for the newest; default: ``past`` in
        order of arrival) and the rows of ``z`` before it (a batch is a stream in order). NaN
        where fewer than ``k`` earlier queries exist. ``past_sq``: the squared norms of
        ``past``'s rows, when known.
        """
        n, p = len(z), len(past)
        if past_sq is None:
            past_sq = (past * past).sum(1)
        d = _distances(z, past, past_sq) if p else z.new_zeros(n, 0)
        long = p + n > self.buffer  # some row's window ends before the oldest kept query
        if long:
            row = torch.arange(n)[:, None]
            if p:
                age = torch.arange(p - 1, -1, -1) if age is None else age
                d = d.masked_fill(age[None, :] + row + 1 > self.buffer, np.inf)
        if n > 1:  # earlier rows of the batch count; the row itself and later rows do not
            later = torch.ones(n, n, dtype=torch.bool).triu()
            if long:
                later |= row - torch.arange(n)[None, :] > self.buffer
            d = torch.cat([d, _distances(z, z, (z * z).sum(1)).masked_fill(later, np.inf)], 1)
        if d.shape[1] == 0:
            return torch.full((n,), float("nan"))
        earlier = (p + torch.arange(n)).clamp(max=self.buffer)
        mean = d.topk(min(self.k, d.shape[1]), dim=1, largest=False).values.mean(1)
        return mean.masked_fill((earlier < self.k) | ~torch.isfinite(mean), float("nan"))

    def observe(self, x: Tensor, client: str = "client") -> tuple[Tensor, Tensor]:
        """Feed a client's batch of queries in order.

        Returns:
            ``[N]`` mean k-NN distances (NaN while the buffer is short) and ``[N]`` flags.
        """
        z = self.embed(x)
        s = self.clients.get(client)
        if s is None:
            ring = torch.zeros(self.buffer, z.shape[1])
            s = self.clients[client] = ClientBuffer(ring, torch.zeros(self.buffer))
        scores = torch.full((len(z),), float("nan"))
        flags = torch.zeros(len(z), dtype=torch.bool)
        done = 0
        while done < len(z):  # one pass per detection: the buffer is cleared at each
            part = self.distances(z[done:], s.queries, s.age(), s.queries_sq)
            hit = (part < self.threshold).nonzero()  # NaN compares False
            if not len(hit):
                scores[done:] = part
                s.push(z[done:])
                break
            at = int(hit[0])
            scores[done : done + at + 1] = part[: at + 1]
            flags[done + at] = True
            s.detections += 1
            if s.first_flag_at is None:
                s.first_flag_at = s.seen + done + at + 1
            s.clear()  # as in the paper: the count of detections counts the attack's restarts
            done += at + 1
        s.seen += len(z)
        finite = scores[torch.isfinite(scores)]
        if len(finite):
            s.last_score = float(finite[-1])
        return scores, flags

    def report(self, client: str = "client") -> dict[str, Any]:
        """JSON summary of one client."""
        s = self.clients.get(client)
        if s is None:
            return {"client": client, "queries": 0, "detections": 0, "first_flag_at": None}
        return {
            "client": client,
            "queries": s.seen,
            "detections": s.detections,
            "first_flag_at": s.first_flag_at,
            "last_score": s.last_score,
            "threshold": self.threshold,
        }


def benign_stream(data: TensorData, n: int, seed: int) -> Tensor:
    """``n`` distinct images of ``data`` in a seeded random order (all of them if fewer)."""
    gen = torch.Generator().manual_seed(seed)
    return data.x[torch.randperm(len(data), generator=gen)[:n]]


@DEFENSES.register(
    "query_similarity",
    family="detector",
    access="model",
    paper="Chen, Carlini, Wagner, Stateful Detection of Black-Box Adversarial Attacks, 2020",
)
class QuerySimilarity(Defense):
    """Flag clients whose queries lie unnaturally close to their earlier ones (Chen et al.)."""

    kind: ClassVar[Literal["detector"]] = "detector"
    adaptive: ClassVar[AdaptiveNeeds] = AdaptiveNeeds(detector=True)

    class Config(PluginConfig):
        """Query-similarity parameters."""

        k: int = Field(20, ge=1, description="Nearest earlier queries averaged.")
        buffer: int = Field(1000, ge=1, description="Recent queries kept per client.")
        target_fpr: float = Field(
            0.001, gt=0, lt=0.5, description="Share of benign queries that may be flagged."
        )
        calibration_queries: int = Field(2000, ge=10, description="Benign stream length.")
        downsample: int = Field(16, ge=1, description="Pool images to at most this side.")
        threshold: float | None = Field(None, gt=0, description="Fixed threshold (no calibration).")

    config: Config

    def detector(self, threshold: float) -> QuerySimilarityDetector:
        """A fresh detector with these settings."""
        c = self.config
        return QuerySimilarityDetector(threshold, k=c.k, buffer=c.buffer, downsample=c.downsample)

    def benign_data(self, ctx: DefenseContext) -> TensorData:
        """Clean images for the calibration stream: validation, then training images."""
        val, train = ctx.splits.val, ctx.training_set
        if len(val) >= self.config.calibration_queries or len(train) == 0:
            return val
        return TensorData(torch.cat([val.x, train.x]), torch.cat([val.y, train.y]))

    def calibrate(self, ctx: DefenseContext) -> QuerySimilarityDetector:
        """A detector whose threshold flags ``target_fpr`` of a benign stream's queries."""
        c = self.config
        stream = benign_stream(self.benign_data(ctx), c.calibration_queries, self.seed)
        probe = self.detector(float("-inf"))
        scores = probe.observe(stream, "calibration")[0]
        finite = scores[torch.isfinite(scores)]
        threshold = c.threshold
        if threshold is None:
            threshold = float(torch.quantile(finite.double(), c.target_fpr)) if len(finite) else 0.0
        det = self.detector(threshold)
        det.calibration = {
            "threshold": threshold,
            "target_fpr": c.target_fpr,
            "calibrated": c.threshold is None,
            "calibration_queries": len(finite),
            "calibration_fpr": rate_of(finite < threshold).to_dict(),
        }
        return det

    def apply(self, ctx: DefenseContext) -> DefendedModel:
        start = time.perf_counter()
        det = self.calibrate(ctx)
        seconds = time.perf_counter() - start
        test = benign_stream(ctx.splits.test, self.config.calibration_queries, self.seed + 1)
        _, flags = self.detector(det.threshold).observe(test, "benign-test")
        per_query = _per_query_seconds(self.detector(det.threshold), test)
        plain = measure_latency({"baseline": ctx.baseline}, test[:256])["baseline"] / 1000
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
                latency_ms=1000 * (plain + per_query),
                baseline_latency_ms=1000 * plain,
                baseline_train_seconds=ctx.baseline_train_seconds,
            ),
            metrics={
                **det.calibration,
                "test_stream_fpr": rate_of(flags).to_dict(),
                "space": "pixels (average-pooled), not the paper's learned encoder",
            },
        )


def _per_query_seconds(det: QuerySimilarityDetector, stream: Tensor, n: int = 200) -> float:
    """Median seconds of one query as a server sees it (one image per request), once the
    client's buffer holds what the stream before it gave (at most ``buffer`` queries)."""
    warm = max(0, len(stream) - n)
    if warm:
        det.observe(stream[:warm], "timing")
    times = []
    for i in range(warm, len(stream)):
        t0 = time.perf_counter()
        det.observe(stream[i : i + 1], "timing")
        times.append(time.perf_counter() - t0)
    return float(np.median(times)) if times else 0.0


__all__ = ["ClientBuffer", "QuerySimilarity", "QuerySimilarityDetector", "benign_stream"]
