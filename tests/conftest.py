"""Shared fixtures: a small CNN trained on the bundled digits, once per test session."""

from __future__ import annotations

import pytest
import torch

from safedl.config import DatasetConfig, ModelConfig, TrainingConfig
from safedl.data import DataSplits, TensorData, load_dataset
from safedl.models import ModelAdapter, build_model
from safedl.training import train


@pytest.fixture(scope="session")
def digits() -> DataSplits:
    return load_dataset(DatasetConfig(name="digits"), seed=0)


@pytest.fixture(scope="session")
def trained_digits(digits: DataSplits) -> tuple[ModelAdapter, TensorData]:
    """(model at ~97% clean accuracy, 200 test examples)."""
    torch.manual_seed(0)
    module = build_model(ModelConfig(name="small_cnn"), digits.input_shape, digits.num_classes)
    model = ModelAdapter(
        module, input_shape=digits.input_shape, num_classes=digits.num_classes, device="cpu"
    )
    train(
        model, digits.train, digits.val, TrainingConfig(epochs=15, batch_size=64, lr=0.002), seed=0
    )
    return model, digits.test.subset(torch.arange(200))
