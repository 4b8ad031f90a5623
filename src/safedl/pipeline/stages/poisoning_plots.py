"""Figures of a finished poisoning or backdoor entry: trigger, poisoned samples, per class.

Drawn by the attack stage from the entry and the poisoned set in the artifact store (never by
re-running the attack).
"""

from __future__ import annotations

from pathlib import Path

from safedl.attacks.backdoor.base import BackdoorAttack
from safedl.attacks.poisoning.artifacts import load_poisoned_set
from safedl.data import DataSplits
from safedl.registry import ATTACKS
from safedl.reporting.poisoning_plots import plot_per_class, plot_poisoned_examples, plot_trigger
from safedl.results import PoisoningEntry
from safedl.store import ArtifactStore


def write_plots(
    entry: PoisoningEntry,
    store: ArtifactStore,
    splits: DataSplits,
    directory: Path,
    seed: int,
) -> dict[str, Path]:
    """Trigger (backdoors), poisoned examples and per-class accuracy; returns the files."""
    made: dict[str, Path] = {}
    stem = f"{entry.attack}-{(entry.unit or 'x').rsplit('-', 1)[-1][:8]}"
    train, test, classes = splits.train, splits.test, splits.classes
    if entry.poison_artifact:
        poisoned = load_poisoned_set(store, entry.poison_artifact, train)
        attack = ATTACKS.create(entry.attack, entry.params, seed=seed)
        if isinstance(attack, BackdoorAttack) and poisoned.trigger:
            shown = test.x[attack.eligible(test.y)][:5]
            made["trigger"] = plot_trigger(
                attack.trigger_image(poisoned.trigger),
                shown,
                attack.apply_trigger(shown, poisoned.trigger),
                directory / f"{stem}-trigger.png",
                f"{entry.attack}: trigger",
            )
        idx = poisoned.indices[:6]
        made["poisoned_examples"] = plot_poisoned_examples(
            train.x[idx],
            poisoned.data.x[idx],
            [classes[int(c)] for c in train.y[idx]],
            [classes[int(c)] for c in poisoned.data.y[idx]],
            directory / f"{stem}-poisoned.png",
            f"{entry.attack}: {entry.poison_count} poisoned training samples",
        )
    if entry.per_class_accuracy:
        made["per_class"] = plot_per_class(
            entry.per_class_accuracy["before"],
            entry.per_class_accuracy["after"],
            directory / f"{stem}-per-class.png",
            f"{entry.attack}: per-class accuracy",
        )
    return made


__all__ = ["write_plots"]
