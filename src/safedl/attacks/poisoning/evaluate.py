"""Evaluate a poisoning attack: poison once, train the victim once, measure against the baseline.

Both steps are artifacts of the store, addressed by content hash, so a re-run, a resumed run or
the defense stage reuses them:

* **Poisoned set** — key ``poison-<hash>`` of the attack name, its validated parameters, the
  seed, the clean training set's fingerprint, and (when the attack uses them) the clean model's
  weights fingerprint and the test split's fingerprint. Tensors: ``indices`` (int64 ``[P]``,
  sorted positions in the training split of every changed sample — the ground truth for a
  filter's precision and recall), ``x_poison`` (the ``P`` poisoned images), ``y`` (all ``N``
  labels after poisoning), ``trigger.<name>`` (backdoors) and ``target_index`` (clean-label
  attacks, test-set indices). The sidecar holds the attack, params, seed, both fingerprints,
  counts, crafting time and bound check. :func:`load_poisoned_set` rebuilds the whole poisoned
  set from the clean training split and checks its fingerprint.
* **Victim** — trained by :func:`~safedl.training.train_or_load` on the poisoned set with the
  baseline's training settings and seed; its spec names the poisoned set's key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from safedl.attacks.poisoning.base import PoisonedSet, PoisoningAttack
from safedl.config.profile import TrainingConfig
from safedl.data import TensorData
from safedl.errors import RunError
from safedl.evaluation.metrics import Rate, norm_summary, rate_of
from safedl.models import ModelAdapter
from safedl.pipeline.store import ArtifactStore, content_key
from safedl.registry import ATTACKS
from safedl.training import train_or_load

TRIGGER_PREFIX = "trigger."


def model_fingerprint(model: ModelAdapter) -> str:
    """SHA-256 of a model's weights (names, shapes and bytes), in a stable order."""
    h = hashlib.sha256()
    for name, tensor in sorted(model.module.state_dict().items()):
        array = tensor.detach().cpu().contiguous().numpy()
        h.update(f"{name}:{array.dtype.str}:{tuple(array.shape)}\n".encode())
        h.update(array.tobytes())
    return h.hexdigest()


def poison_key(
    attack: PoisoningAttack,
    train: TensorData,
    *,
    seed: int,
    clean_model: ModelAdapter | None = None,
    test: TensorData | None = None,
) -> str:
    """The content key of the poisoned set ``attack`` makes from ``train`` with ``seed``."""
    spec = {
        "attack": attack.plugin_name,
        "params": attack.config.model_dump(mode="json"),
        "seed": seed,
        "train": train.fingerprint(),
        "clean_model": model_fingerprint(clean_model)
        if attack.needs_clean_model and clean_model is not None
        else None,
        "test": test.fingerprint() if attack.uses_test and test is not None else None,
    }
    return content_key("poison", spec)


def save_poisoned_set(
    store: ArtifactStore, key: str, clean: TensorData, poisoned: PoisonedSet, meta: dict[str, Any]
) -> None:
    """Store ``poisoned`` under ``key`` as the rows it changed plus all labels."""
    tensors = {
        "indices": poisoned.indices,
        "x_poison": poisoned.data.x[poisoned.indices],
        "y": poisoned.data.y,
    }
    for name, value in (poisoned.trigger or {}).items():
        tensors[TRIGGER_PREFIX + name] = value
    if poisoned.target_index is not None:
        tensors["target_index"] = poisoned.target_index
    store.save_tensors(
        key,
        tensors,
        {
            **meta,
            "clean_fingerprint": clean.fingerprint(),
            "poisoned_fingerprint": poisoned.data.fingerprint(),
            "poison_count": poisoned.count,
            "seconds": poisoned.seconds,
            "max_violation": poisoned.max_violation,
            "within_bounds": poisoned.within_bounds,
            "extra": poisoned.extra,
        },
    )


def load_poisoned_set(store: ArtifactStore, key: str, clean: TensorData) -> PoisonedSet:
    """Rebuild the poisoned set stored under ``key`` from the clean training split.

    Raises:
        RunError: The artifact was made from another training set, or is corrupt.
    """
    meta = store.meta(key)
    if meta.get("clean_fingerprint") != clean.fingerprint():
        raise RunError(f"poisoned set {key} was made from another training set")
    t = store.load_tensors(key)
    idx = t["indices"].long()
    x = clean.x.clone()
    x[idx] = t["x_poison"]
    data = TensorData(x, t["y"].long())
    if data.fingerprint() != meta.get("poisoned_fingerprint"):
        raise RunError(f"poisoned set {key} does not rebuild to what was stored")
    trigger = {k[len(TRIGGER_PREFIX) :]: v for k, v in t.items() if k.startswith(TRIGGER_PREFIX)}
    return PoisonedSet(
        data,
        idx,
        trigger=trigger or None,
        target_index=t.get("target_index"),
        seconds=float(meta.get("seconds", 0.0)),
        max_violation=float(meta.get("max_violation", 0.0)),
        within_bounds=bool(meta.get("within_bounds", True)),
        extra=dict(meta.get("extra", {})),
    )


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
    victim = victim_factory()
    spec = {"model": model_spec, "role": "poisoned", "poison": key}
    victim_key, meta, victim_reused = train_or_load(
        store,
        victim,
        poisoned.data,
        val,
        training,
        seed=seed,
        spec=spec,
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
        victim={
            "reused": victim_reused,
            "epochs_run": meta["training"]["epochs_run"],
            "best_epoch": meta["training"]["best_epoch"],
            "seconds": meta["training"]["seconds"],
        },
        extra=dict(poisoned.extra),
        poisoned=poisoned,
    )
