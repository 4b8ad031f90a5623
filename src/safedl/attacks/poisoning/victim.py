"""Train the victim of a poisoning attack: from scratch, or fine-tuned from the baseline.

``victim_training: scratch`` (the default) builds a fresh model, initialised as the baseline
was, and trains it on the poisoned set with the baseline's settings and seed — the setting of
BadNets and of Witches' Brew's from-scratch experiments. ``victim_training: fine-tune`` starts
from the baseline's weights and trains ``fine_tune_epochs`` more on the poisoned set with the
baseline's optimiser settings — a deployed model updated on newly collected data (the
fine-tuning setting of Poison Frogs and of Schwarzschild et al.'s poisoning benchmark), where
each poison weighs more. Either way the victim is an artifact keyed by the poisoned set's key
and, when fine-tuned, by the baseline's weights.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from safedl.attacks.poisoning.base import PoisoningConfig
from safedl.config.profile import TrainingConfig
from safedl.data import TensorData
from safedl.models import ModelAdapter
from safedl.pipeline.store import ArtifactStore
from safedl.training import train_or_load


def train_victim(
    cfg: PoisoningConfig,
    *,
    store: ArtifactStore,
    factory: Callable[[], ModelAdapter],
    baseline: ModelAdapter,
    baseline_fingerprint: str,
    data: TensorData,
    val: TensorData | None,
    training: TrainingConfig,
    seed: int,
    spec: dict[str, Any],
    description: str,
) -> tuple[ModelAdapter, str, dict[str, Any], bool]:
    """Train (or reuse) the victim on the poisoned ``data``.

    Returns:
        ``(victim, artifact key, training metadata, reused)``.
    """
    victim = factory()
    settings = training
    spec = {**spec, "victim_training": cfg.victim_training}
    if cfg.victim_training == "fine-tune":
        victim.module.load_state_dict(baseline.module.state_dict())
        settings = training.model_copy(update={"epochs": cfg.fine_tune_epochs})
        spec["init"] = baseline_fingerprint
    key, meta, reused = train_or_load(
        store, victim, data, val, settings, seed=seed, spec=spec, description=description
    )
    return victim, key, meta, reused


__all__ = ["train_victim"]
