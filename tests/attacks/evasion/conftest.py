"""Fixtures of the evasion tests: a small CNN trained on Fashion-MNIST, once per session."""

from __future__ import annotations

import pytest
import torch

from safedl.config import DatasetConfig, ModelConfig, TrainingConfig
from safedl.data import DataSplits, TensorData, load_dataset
from safedl.errors import DataError
from safedl.models import ModelAdapter, build_model
from safedl.training import train


@pytest.fixture(scope="session")
def fashion_mnist() -> DataSplits:
    try:
        return load_dataset(DatasetConfig(name="fashion_mnist"), seed=0)
    except DataError as exc:
        pytest.skip(
            f"Fashion-MNIST is not available ({exc}); install Debian's dataset-fashion-mnist "
            "or point $SAFEDL_DATA at the IDX files"
        )


@pytest.fixture(scope="session")
def trained_fashion(fashion_mnist: DataSplits) -> tuple[ModelAdapter, TensorData]:
    """(small_cnn at ~90% clean accuracy after 4 epochs, the first 1000 test images)."""
    splits = fashion_mnist
    torch.manual_seed(0)
    module = build_model(ModelConfig(name="small_cnn"), splits.input_shape, splits.num_classes)
    model = ModelAdapter(
        module, input_shape=splits.input_shape, num_classes=splits.num_classes, device="cpu"
    )
    train(
        model, splits.train, splits.val, TrainingConfig(epochs=4, batch_size=128, lr=1e-3), seed=0
    )
    return model, splits.test.subset(torch.arange(1000))
