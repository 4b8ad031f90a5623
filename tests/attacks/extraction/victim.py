"""The victim the extraction tests (and the PRADA and output-hardening tests) share.

Fashion-MNIST, a small MLP trained for 3 epochs on 20 000 training images (about 82% test
accuracy); the thief's pool is 10 000 other training images (in distribution), and fidelity
is measured on the first 2 000 test images. One store under the session's base temp directory
holds the victim and every stolen copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

from safedl.attacks.extraction import ExtractionTarget
from safedl.config import DatasetConfig, ModelConfig, TrainingConfig
from safedl.data import DataSplits, load_dataset
from safedl.errors import DataError
from safedl.models import FreshModel, ModelAdapter, model_fingerprint
from safedl.store import ArtifactStore
from safedl.training import train_or_load

MODEL = ModelConfig(name="mlp", params={"hidden": [64]})
VICTIM_TRAINING = TrainingConfig(epochs=3, batch_size=128, lr=1e-3)
THIEF_TRAINING = TrainingConfig(epochs=10, batch_size=128, lr=1e-3)


@dataclass
class Victim:
    splits: DataSplits
    model: ModelAdapter
    fresh: FreshModel
    store: ArtifactStore
    target: ExtractionTarget


_VICTIMS: dict[Path, Victim] = {}


def fmnist_victim(base: Path) -> Victim:
    """The victim, built once per store directory (skips without Fashion-MNIST)."""
    root = base / "extraction-fmnist"
    if root in _VICTIMS:
        return _VICTIMS[root]
    try:
        splits = load_dataset(DatasetConfig(name="fashion_mnist"), seed=0)
    except DataError as exc:
        pytest.skip(f"Fashion-MNIST is not available here: {exc.message}")
    perm = torch.randperm(len(splits.train), generator=torch.Generator().manual_seed(1))
    train = splits.train.subset(perm[:20_000])
    pool = splits.train.subset(perm[20_000:30_000])
    fresh = FreshModel(MODEL, splits.input_shape, splits.num_classes, seed=0, device="cpu")
    store = ArtifactStore(root)
    model = fresh()
    spec = {"model": MODEL.model_dump(mode="json"), "role": "victim"}
    train_or_load(store, model, train, None, VICTIM_TRAINING, seed=0, spec=spec)
    target = ExtractionTarget(
        query_pool=pool,
        test=splits.test.subset(torch.arange(2000)),
        new_model=fresh,
        training=THIEF_TRAINING,
        model_spec=MODEL.model_dump(mode="json"),
        store=store,
        seed=0,
        target_id=model_fingerprint(model),
        classes=splits.classes,
        transfer_samples=300,
    )
    _VICTIMS[root] = Victim(splits, model, fresh, store, target)
    return _VICTIMS[root]
