"""Worst case per budget: a point is robust only if every attack at that budget missed it.

Computed from the per-example outcomes the evasion units stored, so it spans attacks (and,
for paired comparisons, models) without re-running anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from safedl.evaluation.metrics import rate_of
from safedl.results import AttackEntry, EvasionEntry
from safedl.store import ArtifactStore


def outcome(store: ArtifactStore, entry: EvasionEntry) -> torch.Tensor:
    """The per-example outcome of a finished evasion entry (True: withstood the attack)."""
    if entry.artifact is None:
        raise ValueError(f"entry {entry.attack} has no stored outcome")
    mask: torch.Tensor = store.load_tensors(entry.artifact)["robust"].bool()
    return mask


def budget_groups(
    entries: Sequence[AttackEntry],
) -> dict[tuple[str, str, float], list[EvasionEntry]]:
    """Finished, untargeted evasion entries with outcomes, by (model, norm, ε)."""
    groups: dict[tuple[str, str, float], list[EvasionEntry]] = {}
    for e in entries:
        if (
            isinstance(e, EvasionEntry)
            and e.status == "done"
            and e.artifact
            and not e.params.get("targeted")
        ):
            key = (e.model, str(e.params.get("norm", "linf")), float(e.params.get("eps", 0)))
            groups.setdefault(key, []).append(e)
    return groups


def worst_case(store: ArtifactStore, entries: Sequence[AttackEntry]) -> list[dict[str, Any]]:
    """Per model and budget: the robust accuracy no attack at that budget broke, with its CI."""
    out = []
    for (model, norm, eps), members in sorted(budget_groups(entries).items()):
        robust = torch.stack([outcome(store, e) for e in members]).all(0)
        out.append(
            {
                "model": model,
                "norm": norm,
                "eps": eps,
                "attacks": [e.attack for e in members],
                "units": [e.unit for e in members],
                "robust_accuracy": rate_of(robust).to_dict(),
            }
        )
    return out


__all__ = ["budget_groups", "outcome", "worst_case"]
