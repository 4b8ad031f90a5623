"""MNIST / Fashion-MNIST: IDX files found along the search path, or downloaded by torchvision."""

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
from safedl.data.idx import write_idx
from safedl.data.mnist import FASHION_MNIST_CLASSES, IDX_FILES

from .conftest import IdxWriter, make_idx_arrays

DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")


def _cfg(**kwargs: Any) -> DatasetConfig:
    return DatasetConfig(**{"name": "fashion_mnist", "val_fraction": 0.0, **kwargs})


@pytest.mark.parametrize("gz", [True, False])
def test_reads_root_gzipped_or_plain(
    tmp_path: Path, write_idx_dataset: IdxWriter, gz: bool
) -> None:
    arrays = write_idx_dataset(tmp_path / "d", n_train=40, n_test=20, gz=gz)
    splits = load_dataset(_cfg(root=str(tmp_path / "d")), seed=0)
    assert (len(splits.train), len(splits.val), len(splits.test)) == (40, 0, 20)
    assert splits.input_shape == (1, 6, 6)
    assert splits.classes == FASHION_MNIST_CLASSES
    # official test split is used as is, in file order, scaled by 1/255
    expected = torch.from_numpy(arrays[IDX_FILES[2]]).float().div(255).unsqueeze(1)
    torch.testing.assert_close(splits.test.x, expected, rtol=0, atol=0)
    assert splits.test.y.tolist() == arrays[IDX_FILES[3]].tolist()
    # every training image is one of the file's images, with its label
    train = torch.from_numpy(arrays[IDX_FILES[0]]).float().div(255).unsqueeze(1)
    assert torch.equal(splits.train.x, train) and splits.train.y.dtype == torch.int64


def test_root_beats_safedl_data(
    tmp_path: Path, write_idx_dataset: IdxWriter, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_idx_dataset(tmp_path / "root", n_train=30, n_test=10)
    write_idx_dataset(tmp_path / "env" / "fashion-mnist", n_train=50, n_test=20)
    monkeypatch.setenv("SAFEDL_DATA", str(tmp_path / "env"))
    assert len(load_dataset(_cfg(root=str(tmp_path / "root")), 0).train) == 30
    assert len(load_dataset(_cfg(), 0).train) == 50


@pytest.mark.parametrize("subdir", ["fashion-mnist", "fashion_mnist", "FashionMNIST/raw", "."])
def test_safedl_data_subdirectories(
    tmp_path: Path, write_idx_dataset: IdxWriter, monkeypatch: pytest.MonkeyPatch, subdir: str
) -> None:
    write_idx_dataset(tmp_path / "env" / subdir, n_train=20, n_test=10)
    monkeypatch.setenv("SAFEDL_DATA", str(tmp_path / "env"))
    assert len(load_dataset(_cfg(), 0).test) == 10


def test_safedl_data_beats_system_dirs(
    tmp_path: Path, write_idx_dataset: IdxWriter, monkeypatch: pytest.MonkeyPatch
) -> None:
    from safedl.data import locate

    write_idx_dataset(tmp_path / "system", n_train=60, n_test=10)
    write_idx_dataset(tmp_path / "env" / "mnist", n_train=20, n_test=10)
    monkeypatch.setitem(locate.SYSTEM_DATA_DIRS, "mnist", (str(tmp_path / "system"),))
    cfg = DatasetConfig(name="mnist", val_fraction=0.0)
    assert len(load_dataset(cfg, 0).train) == 60
    monkeypatch.setenv("SAFEDL_DATA", str(tmp_path / "env"))
    splits = load_dataset(cfg, 0)
    assert len(splits.train) == 20
    assert splits.classes == [str(i) for i in range(10)]


def test_dotted_file_names(tmp_path: Path) -> None:
    for base, array in make_idx_arrays(20, 10).items():
        write_idx(tmp_path / base.replace("-idx", ".idx"), array)
    assert len(load_dataset(_cfg(root=str(tmp_path)), 0).train) == 20


@pytest.mark.usefixtures("no_torchvision", "no_system_data")
def test_not_found_message_lists_places_and_fixes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, write_idx_dataset: IdxWriter
) -> None:
    from safedl.errors import DataError

    partial = tmp_path / "env" / "fashion-mnist"
    write_idx_dataset(partial)
    (partial / (IDX_FILES[3] + ".gz")).unlink()
    monkeypatch.setenv("SAFEDL_DATA", str(tmp_path / "env"))
    with pytest.raises(DataError) as info:
        load_dataset(_cfg(), 0)
    message = str(info.value)
    assert "dataset 'fashion_mnist' not found" in message
    assert f"{partial} (missing {IDX_FILES[3]}[.gz])" in message
    assert f"{tmp_path / 'env'} (no IDX files)" in message
    assert "apt-get install dataset-fashion-mnist" in message
    assert "dataset.root" in message and "SAFEDL_DATA" in message
    assert "pip install torchvision" in message


@pytest.mark.usefixtures("no_torchvision")
def test_explicit_root_is_final(
    tmp_path: Path, write_idx_dataset: IdxWriter, monkeypatch: pytest.MonkeyPatch
) -> None:
    from safedl.errors import DataError

    write_idx_dataset(tmp_path / "env" / "mnist")
    monkeypatch.setenv("SAFEDL_DATA", str(tmp_path / "env"))
    with pytest.raises(DataError, match="dataset 'mnist' not found") as info:
        load_dataset(DatasetConfig(name="mnist", root=str(tmp_path / "empty")), 0)
    assert "apt-get" not in str(info.value)  # no Debian package for MNIST
    assert str(tmp_path / "env") not in str(info.value)


@pytest.mark.usefixtures("no_system_data")
def test_torchvision_fallback_downloads_and_reads_idx(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, bool]] = []

    class FakeFashionMNIST:
        def __init__(self, root: str, train: bool, download: bool) -> None:
            calls.append((root, train))
            raw = Path(root) / "FashionMNIST" / "raw"
            raw.mkdir(parents=True, exist_ok=True)
            for base, array in make_idx_arrays(30, 10, seed=3).items():
                write_idx(raw / base, array)

    fake = types.ModuleType("torchvision")
    fake.datasets = types.SimpleNamespace(FashionMNIST=FakeFashionMNIST)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "torchvision", fake)
    splits = load_dataset(_cfg(), 0)
    cache = tmp_path / "xdg-cache" / "safedl" / "data"
    assert calls == [(str(cache), True), (str(cache), False)]
    assert (len(splits.train), len(splits.test)) == (30, 10)
    # the next load finds the downloaded files in the cache without torchvision
    monkeypatch.setitem(sys.modules, "torchvision", None)
    assert load_dataset(_cfg(), 0).fingerprint() == splits.fingerprint()


@pytest.mark.usefixtures("no_system_data")
def test_torchvision_download_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from safedl.errors import DataError

    class Offline:
        def __init__(self, **kwargs: Any) -> None:
            raise RuntimeError("Error downloading train-images-idx3-ubyte.gz")

    fake = types.ModuleType("torchvision")
    fake.datasets = types.SimpleNamespace(MNIST=Offline)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "torchvision", fake)
    with pytest.raises(DataError, match=r"downloading it with torchvision into .* failed") as info:
        load_dataset(DatasetConfig(name="mnist"), 0)
    assert "Error downloading" in str(info.value) and "dataset.root" in str(info.value)


def test_malformed_file_in_dataset_names_it(tmp_path: Path, write_idx_dataset: IdxWriter) -> None:
    from safedl.errors import DataError

    write_idx_dataset(tmp_path, gz=False)
    bad = tmp_path / IDX_FILES[2]
    bad.write_bytes(bad.read_bytes()[:-1])
    with pytest.raises(DataError, match="truncated") as info:
        load_dataset(_cfg(root=str(tmp_path)), 0)
    assert str(bad) in str(info.value)


@pytest.mark.skipif(not DEBIAN_FASHION.is_dir(), reason="apt-get install dataset-fashion-mnist")
def test_real_fashion_mnist_from_debian_package() -> None:
    full = load_dataset(DatasetConfig(name="fashion_mnist", val_fraction=0.1), seed=0)
    assert (len(full.train) + len(full.val), len(full.test)) == (60000, 10000)
    assert (len(full.train), len(full.val)) == (54000, 6000)
    assert full.input_shape == (1, 28, 28) and full.num_classes == 10
    for part in (full.train, full.val, full.test):
        assert part.x.dtype == torch.float32 and part.x.is_contiguous()
        assert float(part.x.min()) == 0.0 and float(part.x.max()) == 1.0
    # stratified: the balanced dataset stays exactly balanced
    assert torch.bincount(full.train.y).tolist() == [5400] * 10
    assert torch.bincount(full.test.y).tolist() == [1000] * 10
    limited = load_dataset(
        DatasetConfig(name="fashion_mnist", train_limit=500, test_limit=200), seed=0
    )
    assert (len(limited.train), len(limited.test)) == (500, 200)
    assert torch.bincount(limited.test.y).tolist() == [20] * 10
    # the limited test set is a subset of the official one
    test_rows = {row.tobytes() for row in full.test.x.numpy()}
    assert all(row.tobytes() in test_rows for row in limited.test.x.numpy())
    assert np.isclose(float(full.train.x.mean()), 0.286, atol=0.01)
