"""Label-only membership inference — robustness to augmentation or distance to the boundary.

Paper: Choquette-Choo, Tramèr, Carlini, Papernot, "Label-Only Membership Inference Attacks",
ICML 2021.
Threat: black-box, labels only (decision-based), through a label Oracle; the attack runs
unchanged against a model whose output was hardened to the top-1 label.
Parameters: ``mode`` — ``augmentation`` (query the label of every pixel shift up to ``shift``
and of each rotation in ``rotations``; the score is the share answered correctly) or
``boundary`` (the distance to the decision boundary: along ``directions`` random L2 unit
directions per candidate, binary-search with ``search_steps`` label queries the smallest
radius up to ``max_radius`` at which the label changes; the score is the smallest radius found,
0 for a misclassified candidate).
Reports: AUC, balanced accuracy (best threshold), TPR at 1% / 0.1% FPR, ROC, per-class AUC,
and ``extra["queries_per_candidate"]``.

Members sit farther from the boundary than non-members; both modes measure that with labels
alone. The boundary mode is a query-cheap stand-in for the paper's HopSkipJump estimate: the
radius found along random directions is an upper bound of the true L2 distance (HopSkipJump
refines it along the boundary), so it is a weaker, not a stronger, version of that attack.
Query cost: ``V`` per candidate (augmentation, ``V`` views including the original) or
``1 + directions · (1 + search_steps)`` (boundary).
"""

from __future__ import annotations

from typing import Literal

import torch
from pydantic import Field
from torch import Tensor

from safedl.attacks.privacy.base import MembershipAttack
from safedl.attacks.privacy.signals import answer_views
from safedl.data import TensorData
from safedl.models import Oracle
from safedl.models.oracle import OracleOutput
from safedl.registry import ATTACKS, PluginConfig


@ATTACKS.register(
    "label_only",
    family="privacy",
    access="labels",
    paper="Choquette-Choo et al., Label-Only Membership Inference Attacks, ICML 2021",
)
class LabelOnly(MembershipAttack):
    """Membership from labels alone: augmentation robustness or boundary distance."""

    class Config(PluginConfig):
        """Label-only attack parameters."""

        mode: Literal["augmentation", "boundary"] = Field(
            "augmentation", description="Augmentation robustness or boundary distance."
        )
        shift: int = Field(1, ge=0, le=4, description="Pixel shifts up to this (augmentation).")
        rotations: list[float] = Field(
            default_factory=list, description="Rotations in degrees (augmentation)."
        )
        directions: int = Field(8, ge=1, le=256, description="Random directions (boundary).")
        max_radius: float = Field(4.0, gt=0, description="Largest L2 radius searched (boundary).")
        search_steps: int = Field(8, ge=1, le=30, description="Binary-search steps (boundary).")

    config: Config

    def oracle_output(self) -> OracleOutput:
        return "label"

    def infer(self, oracle: Oracle, members: TensorData, non_members: TensorData) -> Tensor:
        x = torch.cat([members.x, non_members.x])
        y = torch.cat([members.y, non_members.y])
        if self.config.mode == "augmentation":
            labels = answer_views(oracle, x, self.config.shift, self.config.rotations)
            self.extra["queries_per_candidate"] = labels.shape[0]
            return (labels == y).double().mean(0)
        return self._boundary(oracle, x, y)

    def _boundary(self, oracle: Oracle, x: Tensor, y: Tensor) -> Tensor:
        cfg = self.config
        n, d = len(x), cfg.directions
        correct = oracle(x) == y
        u = torch.randn((d, *x.shape), generator=self.generator)
        u = u / u.flatten(2).norm(dim=2).clamp_min(1e-12).view(d, n, 1, 1, 1)
        x_rep = x.unsqueeze(0).expand_as(u)
        y_rep = y.unsqueeze(0).expand(d, n)

        def flipped(radius: Tensor) -> Tensor:  # radius [d, n] -> label changed [d, n]
            point = (x_rep + radius.view(d, n, 1, 1, 1) * u).clamp(0, 1)
            return oracle(point.reshape(-1, *x.shape[1:])).view(d, n) != y_rep

        hi = torch.full((d, n), cfg.max_radius)
        found = flipped(hi)
        lo = torch.zeros(d, n)
        for _ in range(cfg.search_steps):  # bisection on [lo, hi] where the label changes
            mid = (lo + hi) / 2
            change = flipped(mid)
            hi = torch.where(change, mid, hi)
            lo = torch.where(change, lo, mid)
        radius = torch.where(found, hi, torch.full_like(hi, cfg.max_radius)).amin(0)
        self.extra["queries_per_candidate"] = 1 + d * (1 + cfg.search_steps)
        self.extra["no_flip_within_max_radius"] = float((~found.any(0)).double().mean())
        return torch.where(correct, radius.double(), torch.zeros(n, dtype=torch.float64))


__all__ = ["LabelOnly"]
