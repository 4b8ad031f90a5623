"""What a model extraction attack is told about its target, besides the Oracle it may query."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from safedl.config.profile import TrainingConfig
from safedl.data import TensorData
from safedl.models import ModelAdapter
from safedl.store import ArtifactStore


@dataclass
class ExtractionTarget:
    """The thief's resources and the assessor's measurement settings.

    Attributes:
        query_pool: The thief's own images: in-distribution data disjoint from the victim's
            training and test sets, or a natural out-of-distribution set of the same shape.
            Knockoff's adaptive policy uses its labels as the partitions it chooses among
            (the thief's own labels, e.g. of a public data set, not the victim's).
        test: Where fidelity, accuracy and transfer are measured (the victim's test split).
        new_model: Builds a fresh model of the thief's architecture (the victim's, when the
            architecture is assumed known); re-initialised with the thief's own seed.
        training: The thief's training settings (``ExtractionConfig.epochs`` overrides the
            epochs).
        model_spec: JSON description of the architecture, part of every thief's content key.
        store: Where stolen models are cached by content key.
        seed: Seed of every random choice of the attack.
        target_id: Content id of the victim (:func:`safedl.models.model_fingerprint`).
        classes: Class names.
        transfer_eps: L∞ budget of the PGD examples crafted on the stolen copy.
        transfer_steps: PGD steps.
        transfer_samples: Test images (the first ones) tried for transfer.
    """

    query_pool: TensorData
    test: TensorData
    new_model: Callable[[], ModelAdapter]
    training: TrainingConfig
    model_spec: dict[str, Any]
    store: ArtifactStore
    seed: int = 0
    target_id: str = ""
    classes: list[str] | None = None
    transfer_eps: float = 0.1
    transfer_steps: int = 20
    transfer_samples: int = 500


__all__ = ["ExtractionTarget"]
