"""The membership game the privacy tests (and the DP-SGD test) share, trained once per session.

Fashion-MNIST, a small MLP trained to overfit 1 000 images (40 epochs, Adam 3e-3): 500 of
them are the members, 500 test images the non-members, 2 000 further training images the
population the shadows learn from. Every model lives in one artifact store under the
session's base temp directory, so the target and the shadows train once for all test files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

from safedl.attacks.privacy import PrivacyTarget
from safedl.config import DatasetConfig, ModelConfig, TrainingConfig
from safedl.data import DataSplits, TensorData, load_dataset
from safedl.errors import DataError
from safedl.models import FreshModel, ModelAdapter
from safedl.store import ArtifactStore
from safedl.training import train_or_load

N = 500
SHADOWS = 8
MODEL = ModelConfig(name="mlp", params={"hidden": [64]})
TRAINING = TrainingConfig(epochs=40, batch_size=128, lr=3e-3)


@dataclass
class Game:
    splits: DataSplits
    train: TensorData  # the target's training set: members + 500 more
    target: ModelAdapter
    fresh: FreshModel
    store: ArtifactStore
    privacy: PrivacyTarget


_GAMES: dict[Path, Game] = {}


def fmnist_game(base: Path) -> Game:
    """The game, built once per store directory (skips without Fashion-MNIST)."""
    root = base / "privacy-fmnist"
    if root in _GAMES:
        return _GAMES[root]
    try:
        splits = load_dataset(DatasetConfig(name="fashion_mnist"), seed=0)
    except DataError as exc:
        pytest.skip(f"Fashion-MNIST is not available here: {exc.message}")
    gen = torch.Generator().manual_seed(0)
    perm = torch.randperm(len(splits.train), generator=gen)
    members = splits.train.subset(perm[:N])
    train = splits.train.subset(perm[: 2 * N])
    population = splits.train.subset(perm[2 * N : 6 * N])
    non_members = splits.test.subset(torch.randperm(len(splits.test), generator=gen)[:N])
    fresh = FreshModel(MODEL, splits.input_shape, splits.num_classes, seed=0, device="cpu")
    store = ArtifactStore(root)
    target = fresh()
    spec = {"model": MODEL.model_dump(mode="json"), "role": "target"}
    train_or_load(store, target, train, None, TRAINING, seed=0, spec=spec)
    privacy = PrivacyTarget(
        members=members,
        non_members=non_members,
        population=population,
        new_model=fresh,
        training=TRAINING,
        model_spec=MODEL.model_dump(mode="json"),
        store=store,
        seed=0,
        train_size=len(train),
        classes=splits.classes,
    )
    _GAMES[root] = Game(splits, train, target, fresh, store, privacy)
    return _GAMES[root]
