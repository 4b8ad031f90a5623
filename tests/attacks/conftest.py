"""Baselines in artifact stores, shared by the poisoning and backdoor tests.

Shared by ``tests/attacks/poisoning`` and ``tests/attacks/backdoor``: ``poison_env`` (digits)
and ``fmnist_poison_env(epochs)`` (the slow Fashion-MNIST checks), each one store in the session's
base temp directory, so each baseline is trained once per session.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from safedl.attacks.poisoning import PoisoningResult, evaluate_poisoning
from safedl.config import DatasetConfig, ModelConfig, TrainingConfig
from safedl.data import DataSplits, load_dataset
from safedl.errors import DataError
from safedl.models import FreshModel, ModelAdapter
from safedl.registry import ATTACKS
from safedl.store import ArtifactStore
from safedl.training import train_or_load

#: Training of the baseline and of every victim in these tests.
TRAINING = TrainingConfig(epochs=12, batch_size=64, lr=0.003)


@dataclass
class PoisonEnv:
    splits: DataSplits
    store: ArtifactStore
    baseline: ModelAdapter
    factory: Callable[[], ModelAdapter]
    training: TrainingConfig = field(default_factory=lambda: TRAINING)

    def evaluate(self, name: str, params: dict[str, Any], seed: int = 0) -> PoisoningResult:
        return evaluate_poisoning(
            ATTACKS.create(name, params, seed=seed),
            train=self.splits.train,
            val=self.splits.val,
            test=self.splits.test,
            baseline=self.baseline,
            victim_factory=self.factory,
            training=self.training,
            store=self.store,
            seed=seed,
            model_spec={"name": "small_cnn"},
            classes=self.splits.classes,
        )


def make_env(splits: DataSplits, store: ArtifactStore, training: TrainingConfig) -> PoisonEnv:
    """A small-CNN baseline trained (or reused) in ``store``, and the factory of its victims."""
    factory = FreshModel(
        ModelConfig(name="small_cnn"), splits.input_shape, splits.num_classes, seed=0, device="cpu"
    )
    baseline = factory()
    spec = {"model": {"name": "small_cnn"}, "role": "baseline"}
    train_or_load(store, baseline, splits.train, splits.val, training, seed=0, spec=spec)
    return PoisonEnv(splits, store, baseline, factory, training)


def fashion_mnist_env(store: Path, epochs: int) -> PoisonEnv:
    """The Fashion-MNIST tests' setting: 20,000 training images, batch 128, Adam 1e-3, seed 0.

    Skips the test when the Fashion-MNIST files are not installed.
    """
    try:
        splits = load_dataset(DatasetConfig(name="fashion_mnist", train_limit=20_000), seed=0)
    except DataError as exc:
        pytest.skip(f"Fashion-MNIST is not available here: {exc.message}")
    training = TrainingConfig(epochs=epochs, batch_size=128, lr=1e-3)
    return make_env(splits, ArtifactStore(store), training)


@pytest.fixture(scope="session")
def fmnist_poison_env(tmp_path_factory: pytest.TempPathFactory) -> Callable[[int], PoisonEnv]:
    """``fmnist_poison_env(epochs)``: the Fashion-MNIST environment, one per epoch count.

    (Not ``fashion_mnist``: the evasion tests' conftest has a fixture of that name.)
    """
    envs: dict[int, PoisonEnv] = {}

    def get(epochs: int) -> PoisonEnv:
        if epochs not in envs:
            store = tmp_path_factory.getbasetemp() / f"fashion-mnist-{epochs}"
            envs[epochs] = fashion_mnist_env(store, epochs)
        return envs[epochs]

    return get


@pytest.fixture(scope="session")
def poison_env(digits: DataSplits, tmp_path_factory: pytest.TempPathFactory) -> PoisonEnv:
    store = ArtifactStore(tmp_path_factory.getbasetemp() / "poison-store")
    return make_env(digits, store, TRAINING)
