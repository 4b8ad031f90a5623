"""Activation clustering — 2-means per class; a small, distinct cluster is poison.

Paper: Chen, Carvalho, Baracaldo, Ludwig, Edwards, Lee, Molloy, Srivastava, "Detecting Backdoor
Attacks on Deep Neural Networks by Activation Clustering", SafeAI@AAAI 2019 (arXiv 2018).
Threat: dirty-label backdoors in the training set (access ``training-data``).
Parameters: ``components`` (dimensions kept per class; the paper: 10), ``size_threshold``
(the smaller cluster is flagged when its share of the class is below it; 0.35),
``min_silhouette`` (… and the two clusters are at least this well separated), ``restarts``
(2-means initialisations, the lowest inertia kept), ``silhouette_samples`` (samples per class
the silhouette is computed on).
Reports: per class the smaller cluster's relative size, the silhouette score and whether it
was flagged; detection precision and recall against the true poison (95% CIs), clean samples
discarded; the retrained model's clean accuracy beside the baseline's; measured cost.

For each class (by its possibly poisoned label) the penultimate features of the model trained
on the poisoned set are centred and projected on their top ``components`` principal directions
(the paper uses ICA; PCA keeps the same subspace up to rotation, which 2-means with Euclidean
distance then sees the same way up to scaling), split by 2-means, and the smaller cluster is
flagged when it is both small and distinct. Its scores (stored, for plots) are each sample's
distance to the other cluster's centre minus its distance to its own. When a backdoor's target
class is half poisoned the poison is no longer the *smaller* cluster, which is how it fails on
BackdoorBench's 10% grid (86% attack success left on CIFAR-10 BadNets).
"""

from __future__ import annotations

from typing import Any

import torch
from pydantic import Field

from safedl.defenses.data.base import DataFilter, Flags
from safedl.registry import DEFENSES, PluginConfig


def project(features: torch.Tensor, components: int) -> torch.Tensor:
    """Centred ``features`` on their top ``components`` principal directions."""
    centred = features.double() - features.double().mean(0, keepdim=True)
    _, _, vh = torch.linalg.svd(centred, full_matrices=False)
    return centred @ vh[:components].T


def two_means(
    z: torch.Tensor, generator: torch.Generator, restarts: int = 4, iterations: int = 100
) -> torch.Tensor:
    """``[N]`` 0/1 assignment of the rows of ``z`` by 2-means (k-means++ seeding, best inertia)."""
    best, best_inertia = torch.zeros(len(z), dtype=torch.long), float("inf")
    for _ in range(restarts):
        first = z[torch.randint(len(z), (1,), generator=generator)]
        d = (z - first).square().sum(1)
        second = z[torch.multinomial(d + 1e-12, 1, generator=generator)]
        centres = torch.cat([first, second])
        assign = torch.zeros(len(z), dtype=torch.long)
        for _ in range(iterations):
            new = torch.cdist(z, centres).argmin(1)
            if torch.equal(new, assign) and _ > 0:
                break
            assign = new
            for j in (0, 1):
                if bool((assign == j).any()):
                    centres[j] = z[assign == j].mean(0)
        inertia = float(torch.cdist(z, centres).gather(1, assign[:, None]).square().sum())
        if inertia < best_inertia:
            best, best_inertia = assign.clone(), inertia
    return best


def silhouette(z: torch.Tensor, assign: torch.Tensor) -> float:
    """Mean silhouette of a two-cluster assignment (0 when a cluster is empty or a singleton)."""
    counts = torch.bincount(assign, minlength=2)
    if bool((counts < 2).any()):
        return 0.0
    d = torch.cdist(z, z)
    same = assign[:, None] == assign[None, :]
    a = (d * same).sum(1) / (counts[assign] - 1)
    b = (d * ~same).sum(1) / counts[1 - assign]
    return float(((b - a) / torch.maximum(a, b).clamp_min(1e-12)).mean())


@DEFENSES.register(
    "activation_clustering",
    family="data",
    access="training-data",
    paper="Chen et al., Detecting Backdoor Attacks on Deep Neural Networks by Activation "
    "Clustering, 2018",
)
class ActivationClustering(DataFilter):
    """Per class, 2-means on reduced activations; flag a small, well-separated cluster."""

    class Config(PluginConfig):
        """Activation-clustering parameters."""

        components: int = Field(10, ge=1, le=256, description="Dimensions kept per class.")
        size_threshold: float = Field(
            0.35, gt=0, le=0.5, description="Flag the smaller cluster below this class share."
        )
        min_silhouette: float = Field(
            0.15, ge=-1, le=1, description="... and when the silhouette is at least this."
        )
        restarts: int = Field(4, ge=1, le=50, description="2-means initialisations.")
        silhouette_samples: int = Field(
            2000, ge=10, description="Samples per class the silhouette is computed on."
        )

    config: Config

    def flag(self, features: torch.Tensor, labels: torch.Tensor, num_classes: int) -> Flags:
        cfg = self.config
        gen = torch.Generator().manual_seed(self.seed)
        flagged = torch.zeros(len(labels), dtype=torch.bool)
        scores = torch.zeros(len(labels))
        classes: list[dict[str, Any]] = []
        for c in range(num_classes):  # one clustering per class
            idx = torch.nonzero(labels == c).flatten()
            if len(idx) < 4:
                classes.append({"class": c, "n": len(idx), "flagged": False})
                continue
            z = project(features[idx], min(cfg.components, len(idx) - 1, features.shape[1]))
            assign = two_means(z, gen, cfg.restarts)
            small = int(torch.bincount(assign, minlength=2).argmin())
            share = float((assign == small).double().mean())
            sub = torch.randperm(len(z), generator=gen)[: cfg.silhouette_samples]
            sil = silhouette(z[sub], assign[sub])
            centres = torch.stack([z[assign == j].mean(0) for j in (0, 1)])
            d = torch.cdist(z, centres)
            own = d.gather(1, assign[:, None]).squeeze(1)
            other = d.gather(1, (1 - assign)[:, None]).squeeze(1)
            scores[idx] = torch.where(assign == small, other - own, own - other).float()
            hit = share < cfg.size_threshold and sil >= cfg.min_silhouette
            if hit:
                flagged[idx[assign == small]] = True
            classes.append(
                {
                    "class": c,
                    "n": len(idx),
                    "smaller_share": share,
                    "silhouette": sil,
                    "flagged": hit,
                }
            )
        return Flags(flagged, scores, {"classes": classes})


__all__ = ["ActivationClustering", "project", "silhouette", "two_means"]
