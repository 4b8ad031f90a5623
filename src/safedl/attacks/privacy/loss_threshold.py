"""Loss-threshold membership inference — the global-threshold baseline.

Paper: Yeom, Giacomelli, Fredrikson, Jha, "Privacy Risk in Machine Learning: Analyzing the
Connection to Overfitting", CSF 2018.
Threat: black-box; scores (``score: loss`` or ``confidence``) or labels only
(``score: correct``), one query per candidate through the Oracle.
Parameters: ``score`` — ``loss`` (member iff the cross-entropy loss ``-log p_y`` is low),
``confidence`` (member iff ``p_y`` is high; the confidence-threshold variant) or ``correct``
(Yeom's adversary: member iff correctly classified); ``threshold`` — a fixed threshold in the
score's own units (a loss ``τ``: member iff loss <= τ; a confidence: member iff ``p_y >= τ``),
e.g. the target's mean training loss, which Yeom's adversary is assumed to know. Without one the
balanced accuracy is reported at the best threshold (optimistic).
Reports: AUC, balanced accuracy, TPR at 1% / 0.1% FPR, ROC, per-class AUC.

With ``score: correct`` the balanced accuracy equals ``0.5 + (train acc - test acc) / 2``
measured on the candidates (Yeom et al., Theorem 2's adversary): a generalisation gap *is*
membership leakage.
"""

from __future__ import annotations

from typing import Literal

import torch
from pydantic import Field
from torch import Tensor

from safedl.attacks.privacy.base import MembershipAttack
from safedl.attacks.privacy.signals import true_class_logprob, true_class_prob
from safedl.data import TensorData
from safedl.models import Oracle
from safedl.models.oracle import OracleOutput
from safedl.registry import ATTACKS, PluginConfig


@ATTACKS.register(
    "loss_threshold",
    family="privacy",
    access="scores",
    paper="Yeom et al., Privacy Risk in Machine Learning: Analyzing the Connection to "
    "Overfitting, CSF 2018",
)
class LossThreshold(MembershipAttack):
    """Member iff the loss is low (or the confidence high, or the label right) — Yeom et al."""

    class Config(PluginConfig):
        """Loss-threshold parameters."""

        score: Literal["loss", "confidence", "correct"] = Field(
            "loss", description="Signal: cross-entropy loss, true-class confidence, or correctness."
        )
        threshold: float | None = Field(
            None,
            description="Fixed threshold in the score's units (loss: member iff loss <= it); "
            "unset reports the best threshold.",
        )

    config: Config

    def oracle_output(self) -> OracleOutput:
        return "label" if self.config.score == "correct" else "probs"

    def infer(self, oracle: Oracle, members: TensorData, non_members: TensorData) -> Tensor:
        x = torch.cat([members.x, non_members.x])
        y = torch.cat([members.y, non_members.y])
        answer = oracle(x)
        if self.config.score == "correct":
            return (answer == y).double()
        if self.config.score == "loss":
            return true_class_logprob(answer, y)
        return true_class_prob(answer.double(), y)

    def threshold(self) -> float | None:
        if self.config.score == "correct":
            return 0.5
        t = self.config.threshold
        if t is None:
            return None
        return -t if self.config.score == "loss" else t


__all__ = ["LossThreshold"]
