"""CIFAR-10 from synthetic binary batches, malformed batches, and the torchvision fallback."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from safedl.config import DatasetConfig
from safedl.data import load_dataset
from safedl.data.cifar import CIFAR10_CLASSES, TEST_BATCH, TRAIN_BATCHES
from safedl.errors import DataError


def write_batches(directory: Path, per_batch: int = 20, seed: int = 0) -> dict[str, np.ndarray]:
    """Six binary batches of random records with labels cycling 0..9."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    written = {}
    for name in (*TRAIN_BATCHES, TEST_BATCH):
        records = rng.integers(0, 256, (per_batch, 3073), dtype=np.uint8)
        records[:, 0] = np.arange(per_batch) % 10
        (directory / name).write_bytes(records.tobytes())
        written[name] = records
    return written


def test_reads_binary_batches(tmp_path: Path) -> None:
    written = write_batches(tmp_path / "cifar-10-batches-bin")
    splits = load_dataset(DatasetConfig(name="cifar10", root=str(tmp_path), val_fraction=0), 0)
    assert (len(splits.train), len(splits.test)) == (100, 20)
    assert splits.input_shape == (3, 32, 32)
    assert splits.classes == CIFAR10_CLASSES
    first = written[TRAIN_BATCHES[0]][0]
    expected = torch.from_numpy(first[1:].reshape(3, 32, 32).astype(np.float32) / 255)
    torch.testing.assert_close(splits.train.x[0], expected, rtol=0, atol=0)
    # the red plane comes first: record bytes 1..1024 are channel 0
    assert splits.train.x[0, 0, 0, :3].mul(255).round().tolist() == first[1:4].tolist()
    assert splits.test.y.tolist() == (np.arange(20) % 10).tolist()


def test_found_under_safedl_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_batches(tmp_path / "cifar10", per_batch=10)
    monkeypatch.setenv("SAFEDL_DATA", str(tmp_path))
    assert len(load_dataset(DatasetConfig(name="cifar10"), 0).test) == 10


def test_malformed_batch_names_file(tmp_path: Path) -> None:
    write_batches(tmp_path)
    bad = tmp_path / TRAIN_BATCHES[2]
    bad.write_bytes(bad.read_bytes()[:-5])
    with pytest.raises(DataError, match="not a whole number of 3073-byte") as info:
        load_dataset(DatasetConfig(name="cifar10", root=str(tmp_path)), 0)
    assert str(bad) in str(info.value)


def test_label_out_of_range(tmp_path: Path) -> None:
    written = write_batches(tmp_path)
    records = written[TEST_BATCH]
    records[3, 0] = 12
    (tmp_path / TEST_BATCH).write_bytes(records.tobytes())
    with pytest.raises(DataError, match="label 12 is out of range for 10 classes"):
        load_dataset(DatasetConfig(name="cifar10", root=str(tmp_path)), 0)


@pytest.mark.usefixtures("no_torchvision", "no_system_data")
def test_not_found(tmp_path: Path) -> None:
    (tmp_path / "cifar-10-batches-bin").mkdir()
    (tmp_path / "cifar-10-batches-bin" / TEST_BATCH).write_bytes(bytes(3073))
    with pytest.raises(DataError, match="dataset 'cifar10' not found") as info:
        load_dataset(DatasetConfig(name="cifar10", root=str(tmp_path)), 0)
    message = str(info.value)
    assert "missing data_batch_1.bin" in message
    assert "cifar-10-binary.tar.gz" in message and "pip install torchvision" in message


@pytest.mark.usefixtures("no_system_data")
def test_torchvision_fallback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(0)

    class FakeCIFAR10:
        def __init__(self, root: str, train: bool, download: bool) -> None:
            n = 30 if train else 10
            self.data = rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8)  # NHWC
            self.targets = [i % 10 for i in range(n)]

    made: list[Any] = []

    def factory(**kwargs: Any) -> FakeCIFAR10:
        made.append(FakeCIFAR10(**kwargs))
        return made[-1]

    fake = types.ModuleType("torchvision")
    fake.datasets = types.SimpleNamespace(CIFAR10=factory)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "torchvision", fake)
    splits = load_dataset(DatasetConfig(name="cifar10", root=str(tmp_path), val_fraction=0), 0)
    assert (len(splits.train), len(splits.test)) == (30, 10)
    # channels-last torchvision arrays become channels-first
    pixel = made[1].data[0, 5, 7]
    assert splits.test.x[0, :, 5, 7].mul(255).round().tolist() == pixel.tolist()
