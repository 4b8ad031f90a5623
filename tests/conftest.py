"""Shared fixtures: a small CNN trained on the bundled digits, once per test session."""

from __future__ import annotations

import pytest
import torch

from safedl.config import DatasetConfig, ModelConfig, TrainingConfig
from safedl.data import DataSplits, TensorData, load_dataset
from safedl.models import ModelAdapter, build_model
from safedl.training import train

#: Session fixtures that train a Fashion-MNIST model: the tests using one run on one worker
#: under pytest-xdist (``--dist loadgroup``), so each model is trained once, not per worker.
SHARED = {
    "fmnist_poison_env": "fmnist-poison",
    "fashion_mnist": "fmnist-evasion",
    "trained_fashion": "fmnist-evasion",
    "fashion_splits": "fmnist-defenses",
    "fashion_ctx": "fmnist-defenses",
}


def _group(item: pytest.Item) -> str | None:
    """The xdist group of a test: its shared Fashion-MNIST fixture's, else its module's when
    it uses a module-scoped fixture or a session one defined in its module (built once per
    worker that runs one of them), else none (free to move)."""
    names = getattr(item, "fixturenames", ())
    shared = next((SHARED[n] for n in names if n in SHARED), None)
    if shared is not None:
        return shared
    module = item.nodeid.split("::")[0]
    info = getattr(item, "_fixtureinfo", None)
    defs = [d[-1] for d in info.name2fixturedefs.values() if d] if info is not None else []
    if any(d.scope == "module" or (d.scope == "session" and d.baseid == module) for d in defs):
        return module
    return None


@pytest.hookimpl(tryfirst=True)  # before xdist's, which reads the marks to group the tests
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        group = _group(item)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))


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
