"""Jacobian-based dataset augmentation — a substitute grown from a few seed images.

Paper: Papernot, McDaniel, Goodfellow, Jha, Celik, Swami, "Practical Black-Box Attacks against
Machine Learning", AsiaCCS 2017 (Algorithm 1, with the periodic step size of §5.3).
Threat: black-box, labels only by default (``labels: hard``; ``soft`` trains on
probabilities), at most ``max_queries`` queries; the attacker holds ``seeds`` natural images.
Parameters: ``seeds`` (initial images, drawn from the query pool), ``rounds`` (substitute
training epochs ρ of the paper: the set doubles between two of them), ``lam`` (the step λ),
``tau`` (the sign of λ flips every τ rounds, λ_ρ = λ·(-1)^⌊ρ/τ⌋), plus the shared
``max_queries``, ``labels``, ``curve`` (ignored: every round is a curve point) and ``epochs``
(substitute training epochs per round).
Reports: fidelity and accuracy after every round against the queries spent (the curve), the
victim's accuracy, and the transfer success of PGD examples crafted on the substitute.

Each round trains the substitute from scratch on every image labelled so far, then adds, for
each image ``x`` with victim label ``c``, the synthetic point ``clip(x + λ_ρ · sign(∂F_c/∂x))``
(``F_c`` the substitute's probability of ``c``) and asks the victim for its label. The last
augmentation is cut to what is left of the budget. Synthetic queries are what PRADA
(:mod:`safedl.defenses.detectors.prada`) detects.
"""

from __future__ import annotations

from typing import Literal

import torch
from pydantic import Field
from torch import Tensor

from safedl.attacks.extraction.base import ExtractionAttack, ExtractionConfig, soft_targets
from safedl.data import TensorData
from safedl.errors import DataError
from safedl.models import ModelAdapter, Oracle
from safedl.registry import ATTACKS


def jacobian_step(model: ModelAdapter, x: Tensor, labels: Tensor, lam: float) -> Tensor:
    """``clip(x + lam · sign(∂p_label/∂x))`` for a batch, through the substitute's softmax."""
    out = []
    with model.attack_mode():
        for i in range(0, len(x), 512):
            xb = x[i : i + 512].to(model.device).requires_grad_(True)
            yb = labels[i : i + 512].to(model.device)
            p = model.logits(xb).softmax(1).gather(1, yb.view(-1, 1)).sum()
            (grad,) = torch.autograd.grad(p, xb)
            out.append((xb.detach() + lam * grad.sign()).clamp(0, 1).cpu())
    return torch.cat(out) if out else x.clone()


@ATTACKS.register(
    "jacobian",
    family="extraction",
    access="labels",
    paper="Papernot et al., Practical Black-Box Attacks against Machine Learning, AsiaCCS 2017",
)
class JacobianAugmentation(ExtractionAttack):
    """Substitute training with Jacobian-based dataset augmentation (Papernot et al., 2017)."""

    class Config(ExtractionConfig):
        """Jacobian-augmentation parameters on top of the shared extraction ones."""

        labels: Literal["soft", "hard"] = Field(
            "hard", description="Train on labels (the paper) or probabilities."
        )
        seeds: int = Field(150, ge=1, description="Initial natural images.")
        rounds: int = Field(6, ge=1, le=20, description="Substitute training rounds ρ.")
        lam: float = Field(0.1, gt=0, le=1, description="Augmentation step λ.")
        tau: int = Field(3, ge=1, description="λ changes sign every τ rounds.")

    config: Config

    def extract(self, oracle: Oracle, query_pool: TensorData) -> ModelAdapter:
        cfg = self.config
        if len(query_pool) == 0:
            raise DataError("jacobian needs seed images in its query pool")
        n = min(cfg.seeds, len(query_pool), cfg.max_queries)
        pick = torch.randperm(len(query_pool), generator=self.generator)[:n]
        x = query_pool.x[pick]
        answers = oracle(x)
        substitute: ModelAdapter | None = None
        for rho in range(cfg.rounds):
            substitute = self.fit(x, answers, f"round-{rho}-{len(x)}")
            self.checkpoint(substitute, oracle.queries)
            left = oracle.remaining if oracle.remaining is not None else len(x)
            if rho == cfg.rounds - 1 or left <= 0:
                break
            lam = cfg.lam * (-1) ** (rho // cfg.tau)
            labels = soft_targets(answers, substitute.num_classes, True).argmax(1)
            grow = min(len(x), left)
            new = jacobian_step(substitute, x[:grow], labels[:grow], lam)
            x = torch.cat([x, new])
            answers = torch.cat([answers, oracle(new)])
        if substitute is None:  # pragma: no cover - rounds >= 1
            raise RuntimeError("jacobian: no round ran")
        self.extra["synthetic_queries"] = len(x) - n
        return substitute


__all__ = ["JacobianAugmentation", "jacobian_step"]
