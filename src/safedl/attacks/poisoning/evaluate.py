"""Evaluate a poisoning attack: poison once, train the victim once, measure against the baseline.

Both steps are artifacts of the store, addressed by content hash, so a re-run, a resumed run or
the defense stage reuses them: the **poisoned set** (see :mod:`safedl.attacks.poisoning.
artifacts`) and the **victim**, trained by :func:`~safedl.attacks.poisoning.victim.
train_victim` on the poisoned set with the baseline's training settings and seed, from scratch,
fine-tuned from the baseline, or its last layer only (``victim_training``); its spec names the
poisoned set's key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from safedl.attacks.poisoning.artifacts import (
    load_poisoned_set,
    poison_key,
    save_poisoned_set,
)
from safedl.attacks.poisoning.base import AttackOutcome, PoisonedSet, PoisoningAttack
from safedl.attacks.poisoning.victim import train_victim
from safedl.config.profile import TrainingConfig
from safedl.data import TensorData
from safedl.evaluation.metrics import Rate, norm_summary, rate_of
from safedl.models import ModelAdapter
from safedl.models.identity import weights_fingerprint
from safedl.registry import ATTACKS
from safedl.store import ArtifactStore


def _mean_probability(before: AttackOutcome, after: AttackOutcome) -> dict[str, float] | None:
    p0, p1 = before.target_probability, after.target_probability
    if p0 is None or p1 is None or not len(p0):
        return None
    return {"baseline": float(p0.double().mean()), "victim": float(p1.double().mean())}


def per_class(pred: torch.Tensor, y: torch.Tensor, classes: list[str]) -> dict[str, float]:
    """Accuracy per class name (classes absent from ``y`` are left out)."""
    ok = (pred == y).float()
    return {
        name: float(ok[y == c].mean().item())
        for c, name in enumerate(classes)
        if bool((y == c).any())
    }


@dataclass
class PoisoningResult:
    """Metrics of one poisoning or backdoor attack: victim against baseline."""

    attack: str
    family: str
    access: str
    params: dict[str, Any]
    n: int
    poison_count: int
    poison_fraction: float
    labels_changed: int
    clean_accuracy: Rate
    baseline_accuracy: Rate
    accuracy_drop: float
    #: Backdoors: triggered non-target test images → target. Clean-label: targets → target
    #: class. Label flipping: see the plugin.
    attack_success_rate: Rate
    baseline_attack_success_rate: Rate
    #: Accuracy on the attacked inputs (triggered test images, targets, or the eligible test).
    robust_accuracy: Rate
    per_class_accuracy: dict[str, dict[str, float]]
    norms: dict[str, dict[str, float]]
    max_violation: float
    within_bounds: bool
    seconds: float
    images_per_second: float
    poison_artifact: str
    poison_reused: bool
    victim_artifact: str
    victim: dict[str, Any]
    #: Mean probability of the attack's intended class on the attacked inputs, for the clean
    #: model and the victim (``{"baseline": p, "victim": p}``), when the attack has one.
    target_class_probability: dict[str, float] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    #: The poisoned set (CPU); not part of the serialised result.
    poisoned: PoisonedSet | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "poisoned"}
        for key, value in out.items():
            if isinstance(value, Rate):
                out[key] = value.to_dict()
        return out


def evaluate_poisoning(
    attack: PoisoningAttack,
    *,
    train: TensorData,
    val: TensorData | None,
    test: TensorData,
    baseline: ModelAdapter,
    victim_factory: Callable[[], ModelAdapter],
    training: TrainingConfig,
    store: ArtifactStore,
    seed: int,
    model_spec: dict[str, Any],
    classes: list[str],
    baseline_accuracy: Rate | None = None,
    batch_size: int = 512,
) -> PoisoningResult:
    """Poison ``train`` (or reuse the stored set), train the victim (or reuse it) and measure.

    Args:
        attack: The attack, with its validated config and seed.
        train, val, test: The clean splits; only ``train`` is poisoned.
        baseline: The clean model, trained on ``train`` (also the clean-label attacks' model).
        victim_factory: Builds a fresh, identically initialised model to train as the victim.
        training: The baseline's training settings, reused for the victim.
        store: Where poisoned sets and victims are kept.
        seed: Seed of the poisoning and of the victim's training (the baseline's seed).
        model_spec: JSON description of the architecture, part of the victim's key.
        classes: Class names, for per-class accuracy.
        baseline_accuracy: The baseline's clean test accuracy when already measured.
        batch_size: Batch size of inference.
    """
    name = attack.plugin_name
    info = ATTACKS.get(name)
    key = poison_key(attack, train, seed=seed, clean_model=baseline, test=test)
    reused = store.has(key)
    if reused:
        poisoned = load_poisoned_set(store, key, train)
    else:
        poisoned = attack.poison(
            train,
            num_classes=len(classes),
            generator=torch.Generator().manual_seed(seed),
            clean_model=baseline,
            test=test,
        )
        about = {
            "attack": name,
            "family": info.family,
            "params": attack.config.model_dump(mode="json"),
            "seed": seed,
        }
        save_poisoned_set(store, key, train, poisoned, about)
    victim, victim_key, meta, victim_reused = train_victim(
        attack.config,
        store=store,
        factory=victim_factory,
        baseline=baseline,
        baseline_fingerprint=weights_fingerprint(baseline),
        data=poisoned.data,
        val=val,
        training=training,
        seed=seed,
        spec={"model": model_spec, "role": "poisoned", "poison": key},
        description=f"training victim of {name}",
    )
    before = baseline.predict(test.x, batch_size=batch_size)
    after = victim.predict(test.x, batch_size=batch_size)
    clean = rate_of(after == test.y)
    base_acc = baseline_accuracy if baseline_accuracy is not None else rate_of(before == test.y)
    hit = attack.outcome(victim, test, poisoned, batch_size)
    base_hit = attack.outcome(baseline, test, poisoned, batch_size)
    idx = poisoned.indices
    return PoisoningResult(
        attack=name,
        family=info.family,
        access=info.access,
        params=attack.config.model_dump(mode="json"),
        n=len(test),
        poison_count=poisoned.count,
        poison_fraction=poisoned.count / max(len(train), 1),
        labels_changed=int((poisoned.data.y != train.y).sum().item()),
        clean_accuracy=clean,
        baseline_accuracy=base_acc,
        accuracy_drop=base_acc.value - clean.value,
        attack_success_rate=rate_of(hit.success),
        baseline_attack_success_rate=rate_of(base_hit.success),
        robust_accuracy=rate_of(hit.correct),
        per_class_accuracy={
            "before": per_class(before, test.y, classes),
            "after": per_class(after, test.y, classes),
        },
        norms=norm_summary(poisoned.data.x[idx] - train.x[idx]),
        max_violation=poisoned.max_violation,
        within_bounds=poisoned.within_bounds,
        seconds=poisoned.seconds,
        images_per_second=poisoned.count / poisoned.seconds if poisoned.seconds > 0 else 0.0,
        poison_artifact=key,
        poison_reused=reused,
        victim_artifact=victim_key,
        target_class_probability=_mean_probability(base_hit, hit),
        victim={
            "training": attack.config.victim_training,
            "reused": victim_reused,
            "epochs_run": meta["training"]["epochs_run"],
            "best_epoch": meta["training"]["best_epoch"],
            "seconds": meta["training"]["seconds"],
        },
        extra=dict(poisoned.extra),
        poisoned=poisoned,
    )
