"""Poisoned training sets as artifacts of the run store, addressed by content hash.

* **Key** ``poison-<hash>`` of the attack name, its validated parameters (less those that only
  say how the victim trains), the seed, the clean training set's fingerprint, and (when the
  attack uses them) the clean model's weights fingerprint and the test split's fingerprint.
* **Tensors:** ``indices`` (int64 ``[P]``, sorted positions in the training split of every
  changed sample — the ground truth for a filter's precision and recall), ``x_poison`` (the
  ``P`` poisoned images), ``y`` (all ``N`` labels after poisoning), ``trigger.<name>``
  (backdoors) and ``target_index`` (clean-label attacks, test-set indices).
* **Sidecar:** the attack, params, seed, both fingerprints, counts, crafting time and bound
  check. :func:`load_poisoned_set` rebuilds the whole poisoned set from the clean training
  split and checks its fingerprint.
"""

from __future__ import annotations

from typing import Any

from safedl.attacks.poisoning.base import VICTIM_FIELDS, PoisonedSet, PoisoningAttack
from safedl.data import TensorData
from safedl.errors import RunError
from safedl.models import ModelAdapter
from safedl.models.identity import weights_fingerprint
from safedl.store import ArtifactStore, content_key

TRIGGER_PREFIX = "trigger."


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
        "params": attack.config.model_dump(mode="json", exclude=set(VICTIM_FIELDS)),
        "seed": seed,
        "train": train.fingerprint(),
        "clean_model": weights_fingerprint(clean_model)
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


__all__ = ["load_poisoned_set", "poison_key", "save_poisoned_set"]
