"""Figures of one measured poisoning defense, from the stored artifacts it left.

Called by :func:`safedl.assess.backdoor_defense.measure_backdoor_defense` with ``plots_dir``:
a data filter's score histogram of the class it flagged most (the true poison marked), Neural
Cleanse's reversed triggers beside the real one, STRIP's entropy distributions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from safedl.assess.backdoor_victim import CleanRecipe, Victim
from safedl.reporting.backdoor_defense_plots import (
    plot_reversed_triggers,
    plot_score_histogram,
    plot_strip_entropy,
)


def write_figures(
    result: dict[str, Any],
    victim: Victim,
    recipe: CleanRecipe,
    raw: dict[str, torch.Tensor],
    out: Path,
) -> list[str]:
    """Write the figures of ``result`` under ``out``; returns their paths."""
    name, m, store = result["defense"], result["metrics"], recipe.store
    stem = f"{result['attack'] or 'clean'}-{name}"
    paths: list[Path] = []
    if "flags_artifact" in m:
        t = store.load_tensors(m["flags_artifact"])
        flagged, scores = t["flagged"].bool(), t["scores"]
        labels = victim.poisoned.data.y
        truth = torch.zeros(len(labels), dtype=torch.bool)
        truth[victim.poisoned.indices] = True
        c = int(torch.bincount(labels[flagged], minlength=recipe.splits.num_classes).argmax())
        in_c = labels == c
        kept = scores[in_c & ~flagged]
        cut = float(kept.max()) if flagged[in_c].any() and len(kept) else None
        paths.append(
            plot_score_histogram(
                scores[in_c],
                truth[in_c],
                out / f"{stem}-scores.png",
                title=f"{name}: class {recipe.splits.classes[c]}",
                cut=cut,
            )
        )
    if "triggers_artifact" in m:
        t = store.load_tensors(m["triggers_artifact"])
        bd = victim.backdoor
        real = bd.trigger_image(victim.poisoned.trigger) if bd is not None else None
        paths.append(
            plot_reversed_triggers(
                t["mask"],
                t["pattern"],
                m["anomaly_index"],
                out / f"{stem}-triggers.png",
                real=real,
                flagged=m["flagged_classes"],
                classes=recipe.splits.classes,
            )
        )
    if "clean_entropy" in raw:
        paths.append(
            plot_strip_entropy(
                raw["clean_entropy"],
                raw.get("triggered_entropy"),
                m["threshold"],
                out / f"{stem}-entropy.png",
                title=f"STRIP against {result['attack']}",
            )
        )
    return [str(p) for p in paths]


__all__ = ["write_figures"]
