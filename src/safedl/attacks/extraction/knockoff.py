"""Knockoff Nets — steal a model by training a copy on its answers to natural images.

Paper: Orekondy, Schiele, Fritz, "Knockoff Nets: Stealing Functionality of Black-Box Models",
CVPR 2019.
Threat: black-box; soft labels (``labels: soft``, the victim's probabilities) or hard labels
(``labels: hard``, top-1 only), at most ``max_queries`` queries through the Oracle; the thief
owns a pool of natural images (in-distribution or not) and knows, or guesses, an architecture.
Parameters: ``strategy`` — ``random`` (query pool images in random order, the paper's baseline
and the only policy its authors released) or ``adaptive`` (the paper's gradient-bandit policy,
below); ``rounds`` (adaptive: query batches), ``bandit_lr`` (adaptive: step α of the
preferences), ``round_epochs`` (adaptive: epochs the interim thief trains per round), plus the
shared ``max_queries``, ``labels``, ``curve`` and ``epochs``.
Reports: fidelity and accuracy against the queries spent (the curve), the victim's accuracy,
and the transfer success of PGD examples crafted on the copy.

Random: one random permutation of the pool; the thief at each curve point is trained on the
first queries of the same sequence, so a larger budget only ever adds data.

Adaptive (the authors never released it; this follows the paper's description, §4.1.2): the
pool is partitioned by the thief's own labels (the paper uses the pool's class hierarchy; a
flat partition here). A policy ``π = softmax(H)`` over partitions picks where each query
comes from; after each round of ``max_queries / rounds`` queries, each answer earns the sum of
the paper's three rewards, each normalised to [0, 1] over the round: *certainty* (the margin
between the victim's two largest probabilities), *diversity* (how far the answer is from the
mean answer of the round's queries from the same partition — a batched stand-in for the
paper's running mean) and *loss* (cross-entropy of the interim thief against the answer). The
gradient-bandit update ``H_a += α (r - r̄)(1[a = chosen] - π_a)`` is applied once per round,
averaged over its answers (a batched form of the per-query update), with ``r̄`` the running
mean reward of earlier answers; the interim thief then trains ``round_epochs`` more epochs on
everything queried so far. With hard labels the rewards use one-hot answers (certainty is then
constant). The final thief is trained from scratch on all queries.
"""

from __future__ import annotations

from typing import Literal

import torch
from pydantic import Field
from torch import Tensor
from torch.nn import functional as F

from safedl.attacks.extraction.base import ExtractionAttack, ExtractionConfig, soft_targets
from safedl.data import TensorData
from safedl.errors import DataError
from safedl.models import ModelAdapter, Oracle
from safedl.registry import ATTACKS


def _normalise(r: Tensor) -> Tensor:
    span = r.max() - r.min()
    return (r - r.min()) / span if span > 0 else torch.zeros_like(r)


@ATTACKS.register(
    "knockoff",
    family="extraction",
    access="scores",
    paper="Orekondy et al., Knockoff Nets: Stealing Functionality of Black-Box Models, CVPR 2019",
)
class Knockoff(ExtractionAttack):
    """Distil the victim's answers on natural images into a copy (Orekondy et al., 2019)."""

    class Config(ExtractionConfig):
        """Knockoff parameters on top of the shared extraction ones."""

        strategy: Literal["random", "adaptive"] = Field(
            "random", description="Random pool order, or the gradient-bandit policy."
        )
        rounds: int = Field(10, ge=1, le=1000, description="Query rounds (adaptive).")
        bandit_lr: float = Field(0.1, gt=0, description="Preference step size α (adaptive).")
        round_epochs: int = Field(2, ge=1, le=100, description="Interim thief epochs (adaptive).")

    config: Config

    def extract(self, oracle: Oracle, query_pool: TensorData) -> ModelAdapter:
        if len(query_pool) == 0:
            raise DataError("knockoff needs a query pool of natural images")
        budget = min(self.config.max_queries, len(query_pool))
        if self.config.strategy == "random":
            order = torch.randperm(len(query_pool), generator=self.generator)[:budget]
            x = query_pool.x[order]
            answers = oracle(x)
        else:
            x, answers = self._adaptive(oracle, query_pool, budget)
        thief: ModelAdapter | None = None
        for n in self.curve_points():
            n = min(n, len(x))
            thief = self.fit(x[:n], answers[:n], f"{self.config.strategy}-{n}")
            self.checkpoint(thief, n)
        if thief is None:  # pragma: no cover - curve_points always holds the budget
            raise RuntimeError("knockoff: no curve point")
        return thief

    def _adaptive(self, oracle: Oracle, pool: TensorData, budget: int) -> tuple[Tensor, Tensor]:
        cfg = self.config
        parts = torch.unique(pool.y)
        members = [torch.nonzero(pool.y == a).flatten() for a in parts]
        used = torch.zeros(len(pool), dtype=torch.bool)
        prefs = torch.zeros(len(parts), dtype=torch.float64)
        mean_reward, rewarded = 0.0, 0
        xs: list[Tensor] = []
        answers: list[Tensor] = []
        interim = self.new_thief("adaptive-interim")
        per_round = max(1, budget // cfg.rounds)
        seen = 0
        while seen < budget:
            free = torch.tensor([int((~used[idx]).sum()) for idx in members])
            policy = torch.softmax(prefs, 0) * (free > 0)
            if policy.sum() == 0:
                break
            choice = torch.multinomial(
                policy / policy.sum(),
                min(per_round, budget - seen),
                replacement=True,
                generator=self.generator,
            )
            picks, acts = [], []
            for a in torch.unique(choice).tolist():  # one draw per partition, not per query
                left = members[a][~used[members[a]]]
                want = int((choice == a).sum())
                take = left[torch.randperm(len(left), generator=self.generator)[:want]]
                used[take] = True
                picks.append(take)
                acts.append(torch.full((len(take),), a))
            idx, act = torch.cat(picks), torch.cat(acts)
            xb = pool.x[idx]
            answer = oracle(xb)
            xs.append(xb)
            answers.append(answer)
            seen += len(idx)
            reward = self._rewards(answer, act, interim, xb)
            # Gradient bandit, batched over the round: H += α · mean_i (r_i - r̄)(e_{a_i} - π).
            pi = torch.softmax(prefs, 0)
            advantage = (reward - mean_reward).unsqueeze(1)
            chosen = F.one_hot(act, len(parts)).double()
            prefs += cfg.bandit_lr * (advantage * (chosen - pi)).mean(0)
            rewarded += len(reward)
            mean_reward += float((reward - mean_reward).sum()) / rewarded
            interim = self.fit(
                torch.cat(xs),
                torch.cat(answers),
                f"adaptive-interim-{seen}",
                model=interim,
                epochs=cfg.round_epochs,
            )
        policy = torch.softmax(prefs, 0)
        self.extra["policy"] = {str(int(parts[i])): float(p) for i, p in enumerate(policy)}
        return torch.cat(xs), torch.cat(answers)

    def _rewards(self, answer: Tensor, act: Tensor, interim: ModelAdapter, x: Tensor) -> Tensor:
        k = interim.num_classes
        p = soft_targets(answer, k, self.config.labels == "hard")
        top2 = p.topk(2, dim=1).values
        cert = top2[:, 0] - top2[:, 1]
        div = torch.zeros(len(p), dtype=torch.float64)
        for a in torch.unique(act).tolist():
            sel = act == a
            div[sel] = (p[sel] - p[sel].mean(0)).clamp_min(0).sum(1)
        with torch.inference_mode():
            logp = F.log_softmax(interim.logits(x).double().cpu(), dim=1)
        loss = -(p * logp).sum(1)
        return _normalise(cert) + _normalise(div) + _normalise(loss)


__all__ = ["Knockoff"]
