"""Fixtures of the defense tests: baselines trained once per session and their contexts.

* ``digits_ctx`` — ``small_cnn`` on the bundled 8×8 digits (≈97% clean accuracy, seconds);
* ``fashion_ctx`` — ``small_cnn`` on Fashion-MNIST, one epoch on the 54 000 training images
  (Adam 2e-3, batch 128; ≈88% clean, ≈7% under PGD-20 at ε = 0.1), for the slow reference
  tests; skipped when Fashion-MNIST is not installed.

Each context has its own artifact store in a session temporary folder, so a defense trained by
one test is reused by the next that asks for the same one.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from safedl.config import DatasetConfig, ModelConfig, TrainingConfig
from safedl.data import DataSplits, load_dataset
from safedl.defenses.base import DefenseContext
from safedl.errors import DataError
from safedl.models import ModelAdapter, build_model, model_fingerprint
from safedl.store import ArtifactStore
from safedl.training import train


def _context(
    splits: DataSplits, cfg: TrainingConfig, store: Path, *, batch_size: int = 256
) -> DefenseContext:
    model_cfg = ModelConfig(name="small_cnn")

    def new_model() -> ModelAdapter:
        torch.manual_seed(0)
        module = build_model(model_cfg, splits.input_shape, splits.num_classes)
        return ModelAdapter(module, input_shape=splits.input_shape, num_classes=splits.num_classes)

    baseline = new_model()
    result = train(baseline, splits.train, splits.val, cfg, seed=0)
    return DefenseContext(
        baseline=baseline,
        baseline_id=model_fingerprint(baseline),
        splits=splits,
        training=cfg,
        new_model=new_model,
        model_spec={"model": model_cfg.model_dump(mode="json")},
        store=ArtifactStore(store),
        seed=0,
        device=baseline.device,
        batch_size=batch_size,
        baseline_train_seconds=result.seconds,
    )


@pytest.fixture(scope="session")
def make_context(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., DefenseContext]:
    """Build a context for other splits or settings (each with a fresh store)."""

    def make(splits: DataSplits, cfg: TrainingConfig, **kwargs: int) -> DefenseContext:
        return _context(splits, cfg, tmp_path_factory.mktemp("store"), **kwargs)

    return make


@pytest.fixture(scope="session")
def digits_ctx(make_context: Callable[..., DefenseContext]) -> DefenseContext:
    splits = load_dataset(DatasetConfig(name="digits"), seed=0)
    return make_context(splits, TrainingConfig(epochs=15, batch_size=64, lr=0.002))


@pytest.fixture(scope="session")
def fashion_splits() -> DataSplits:
    try:
        return load_dataset(DatasetConfig(name="fashion_mnist"), seed=0)
    except DataError as exc:
        pytest.skip(f"Fashion-MNIST is not available ({exc})")


@pytest.fixture(scope="session")
def fashion_ctx(
    make_context: Callable[..., DefenseContext], fashion_splits: DataSplits
) -> DefenseContext:
    return make_context(fashion_splits, TrainingConfig(epochs=1, batch_size=128, lr=2e-3))
