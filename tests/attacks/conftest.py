"""A digits baseline in an artifact store, shared by the poisoning and backdoor tests.

Shared by ``tests/attacks/poisoning`` and ``tests/attacks/backdoor``: one store in the session's
base temp directory, so the baseline is trained once per session.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from safedl.attacks.poisoning import PoisoningResult, evaluate_poisoning
from safedl.attacks.poisoning.pipeline import victim_factory
from safedl.config import ModelConfig, TrainingConfig
from safedl.data import DataSplits
from safedl.models import ModelAdapter
from safedl.pipeline.store import ArtifactStore
from safedl.registry import ATTACKS
from safedl.training import train_or_load

#: Training of the baseline and of every victim in these tests.
TRAINING = TrainingConfig(epochs=12, batch_size=64, lr=0.003)


@dataclass
class PoisonEnv:
    splits: DataSplits
    store: ArtifactStore
    baseline: ModelAdapter
    factory: Callable[[], ModelAdapter]

    def evaluate(self, name: str, params: dict[str, Any], seed: int = 0) -> PoisoningResult:
        return evaluate_poisoning(
            ATTACKS.create(name, params, seed=seed),
            train=self.splits.train,
            val=self.splits.val,
            test=self.splits.test,
            baseline=self.baseline,
            victim_factory=self.factory,
            training=TRAINING,
            store=self.store,
            seed=seed,
            model_spec={"name": "small_cnn"},
            classes=self.splits.classes,
        )


@pytest.fixture(scope="session")
def poison_env(digits: DataSplits, tmp_path_factory: pytest.TempPathFactory) -> PoisonEnv:
    store = ArtifactStore(tmp_path_factory.getbasetemp() / "poison-store")
    factory = victim_factory(
        ModelConfig(name="small_cnn"), digits.input_shape, digits.num_classes, seed=0, device="cpu"
    )
    baseline = factory()
    spec = {"model": {"name": "small_cnn"}, "role": "baseline"}
    train_or_load(store, baseline, digits.train, digits.val, TRAINING, seed=0, spec=spec)
    return PoisonEnv(digits, store, baseline, factory)
