"""What a privacy attack is told about its target, besides the Oracle it may query.

A :class:`PrivacyTarget` holds the assessor's ground truth (which candidates are members) and
what an attacker is assumed to have: data from the same distribution (``population``) and the
target's training recipe (architecture and settings), from which shadow and reference models
are trained. The model itself is never in it: attacks reach it only through an Oracle.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from safedl.config.profile import TrainingConfig
from safedl.data import TensorData
from safedl.errors import DataError
from safedl.executor import Executor, SequentialExecutor
from safedl.models import ModelAdapter
from safedl.store import ArtifactStore


@dataclass
class PrivacyTarget:
    """The membership game and the attacker's resources.

    Attributes:
        members: A sample of the target's training set.
        non_members: Held-out data from the same distribution, never trained on. Must have as
            many examples as ``members`` (the metrics need balanced sets).
        population: Further data from the distribution, disjoint from the target's training
            set and from the candidates; shadow/reference models train on halves of it, Shokri's
            attack model learns from it and RMIA draws its ``z`` samples from it.
        new_model: Builds a fresh model of the target's architecture (a picklable
            :class:`safedl.models.FreshModel` lets shadows train in other processes).
        training: The settings the target was trained with; shadows use the same.
        model_spec: JSON description of the architecture, part of every shadow's content key.
        store: Where shadow, reference and evaluation models are cached by content key.
        seed: Seed of the shadow design and of every random choice of the attacks.
        executor: Runs shadow trainings (sequential by default; a
            :class:`safedl.executor.ProcessExecutor` trains them in parallel).
        val: Validation data for the shadows' model selection, when the target used one.
        train_size: Size of the target's training set. Each shadow trains on half of the
            candidates plus ``train_size - len(members)`` population examples (at most half of
            the population), so that it sees as much data as the target; default: half of the
            candidates plus half of the population.
        query_budget: Queries the attacker may make in all (``None``: unlimited).
        classes: Class names, for per-class leakage.
        target_id: Content id of the target (:func:`safedl.models.model_fingerprint`).
    """

    members: TensorData
    non_members: TensorData
    population: TensorData
    new_model: Callable[[], ModelAdapter]
    training: TrainingConfig
    model_spec: dict[str, Any]
    store: ArtifactStore
    seed: int = 0
    executor: Executor = field(default_factory=SequentialExecutor)
    val: TensorData | None = None
    train_size: int | None = None
    query_budget: int | None = None
    classes: list[str] | None = None
    target_id: str = ""

    def validate(self) -> None:
        """Check the membership game is well formed.

        Raises:
            DataError: Empty or unbalanced member/non-member sets, or shapes that differ.
        """
        n, m = len(self.members), len(self.non_members)
        if n == 0 or m == 0:
            raise DataError(
                f"membership inference needs members and non-members, got {n} and {m}",
                hint="pass a sample of the training set and as many held-out examples",
            )
        if n != m:
            raise DataError(
                f"membership inference needs balanced sets: {n} members but {m} non-members",
                hint="sample as many non-members as members (the metrics assume balance)",
            )
        shapes = {d.input_shape for d in (self.members, self.non_members, self.population)}
        if len(self.population) and len(shapes) != 1:
            raise DataError(f"members, non-members and population differ in shape: {shapes}")

    @property
    def candidates(self) -> TensorData:
        """Members then non-members, in that order (the order of every score vector)."""
        return TensorData(
            torch.cat([self.members.x, self.non_members.x]),
            torch.cat([self.members.y, self.non_members.y]),
        )

    @property
    def is_member(self) -> torch.Tensor:
        """``[2n]`` ground truth in the order of :attr:`candidates`."""
        n = len(self.members)
        return torch.cat([torch.ones(n, dtype=torch.bool), torch.zeros(n, dtype=torch.bool)])


__all__ = ["PrivacyTarget"]
