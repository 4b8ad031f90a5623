"""Spectral signatures — remove the training samples that stand out along the top direction.

Paper: Tran, Li, Madry, "Spectral Signatures in Backdoor Attacks", NeurIPS 2018 (Algorithm 1).
Threat: dirty-label backdoors in the training set (access ``training-data``: the defender
controls training and sees its data, not the trigger).
Parameters: ``eps`` (upper bound on the share of poisoned samples within a class; the paper's
ε), ``removal_factor`` (samples removed per class = ``removal_factor · eps · n_class``; the
paper's 1.5).
Reports: flags per class, per-sample outlier scores (stored, for the histogram), detection
precision and recall against the true poison (95% CIs) and clean samples discarded, the
retrained model's clean accuracy beside the baseline's, measured cost.

For each class ``c`` (by its possibly poisoned label) the penultimate features ``R_c`` of the
model trained on the poisoned set are centred, the top right singular vector ``v`` of the
centred matrix is computed, and each sample scores ``((r − mean) · v)²``. The
``removal_factor · eps · n_c`` highest-scoring samples of every class are removed, and the
model is retrained on the rest. The filter always removes that many samples — also from a
clean training set — so its false-positive cost is fixed by ``eps``: report it, do not
expect it to vanish. BackdoorBench (CIFAR-10, BadNets 10%) leaves 92% attack success after
it: when a target class is half poisoned, 1.5·ε must be set to match.
"""

from __future__ import annotations

import torch
from pydantic import Field

from safedl.defenses.data.base import DataFilter, Flags
from safedl.registry import DEFENSES, PluginConfig


def spectral_scores(features: torch.Tensor) -> torch.Tensor:
    """``((r − mean) · v)²`` per row; ``v``: top right singular vector of the centred rows."""
    if len(features) < 2:
        return torch.zeros(len(features))
    centred = features.double() - features.double().mean(0, keepdim=True)
    _, _, vh = torch.linalg.svd(centred, full_matrices=False)
    return (centred @ vh[0]).square().float()


@DEFENSES.register(
    "spectral_signatures",
    family="data",
    access="training-data",
    paper="Tran, Li, Madry, Spectral Signatures in Backdoor Attacks, NeurIPS 2018",
)
class SpectralSignatures(DataFilter):
    """Per class, remove the samples with the largest projection on the top singular vector."""

    class Config(PluginConfig):
        """Spectral-signature parameters."""

        eps: float = Field(
            0.1, gt=0, lt=1, description="Upper bound on the poisoned share of a class (ε)."
        )
        removal_factor: float = Field(
            1.5, gt=0, description="Remove removal_factor · eps of each class (paper: 1.5)."
        )

    config: Config

    def flag(self, features: torch.Tensor, labels: torch.Tensor, num_classes: int) -> Flags:
        cfg = self.config
        scores = torch.zeros(len(labels))
        flagged = torch.zeros(len(labels), dtype=torch.bool)
        removed = []
        for c in range(num_classes):  # one SVD per class
            idx = torch.nonzero(labels == c).flatten()
            k = min(len(idx), round(cfg.removal_factor * cfg.eps * len(idx)))
            if len(idx) == 0:
                removed.append(0)
                continue
            s = spectral_scores(features[idx])
            scores[idx] = s
            flagged[idx[s.topk(k).indices]] = True
            removed.append(int(k))
        return Flags(flagged, scores, {"removed_per_class": removed})


__all__ = ["SpectralSignatures", "spectral_scores"]
