"""``npz:PATH``: every accepted layout and dtype, optional test split and classes, bad files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from safedl.config import DatasetConfig
from safedl.data import load_dataset
from safedl.errors import DataError

N = 40


def _labels(n: int = N) -> np.ndarray:
    return np.arange(n) % 4


def _save(path: Path, **arrays: Any) -> str:
    np.savez(path, **arrays)
    return f"npz:{path}"


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        ((N, 5, 6), (1, 5, 6)),  # [N, H, W]
        ((N, 1, 5, 6), (1, 5, 6)),  # [N, C, H, W]
        ((N, 3, 5, 6), (3, 5, 6)),
        ((N, 4, 5, 6), (4, 5, 6)),
        ((N, 5, 6, 1), (1, 5, 6)),  # [N, H, W, C]
        ((N, 5, 6, 3), (3, 5, 6)),
        ((N, 5, 6, 4), (4, 5, 6)),
    ],
)
@pytest.mark.parametrize("dtype", ["uint8", "float32", "float64"])
def test_layouts_and_dtypes(
    tmp_path: Path, shape: tuple[int, ...], expected: tuple[int, int, int], dtype: str
) -> None:
    rng = np.random.default_rng(0)
    raw = rng.integers(0, 256, shape, dtype=np.uint8)
    x = raw if dtype == "uint8" else (raw / 255).astype(dtype)
    spec = _save(tmp_path / "d.npz", x=x, y=_labels(), x_test=x[:10], y_test=_labels(10))
    splits = load_dataset(DatasetConfig(name=spec, val_fraction=0), 0)
    assert splits.input_shape == expected
    assert (len(splits.train), len(splits.test)) == (N, 10)
    # the official test split keeps file order: compare every pixel after the layout change
    channels_last = len(shape) == 4 and shape[-1] in (1, 3, 4) and shape[1] not in (1, 3, 4)
    src = raw[:10].transpose(0, 3, 1, 2) if channels_last else raw[:10].reshape(10, *expected)
    pixels = splits.test.x.mul(255).round().to(torch.uint8)
    assert torch.equal(pixels, torch.from_numpy(np.ascontiguousarray(src)))
    assert splits.test.x.is_contiguous()


def test_held_out_test_split_without_official_one(tmp_path: Path) -> None:
    spec = _save(tmp_path / "d.npz", x=np.zeros((N, 4, 4), np.uint8), y=_labels())
    splits = load_dataset(DatasetConfig(name=spec, val_fraction=0, test_fraction=0.25), 0)
    assert (len(splits.train), len(splits.test)) == (30, 10)


def test_official_test_split_and_classes(tmp_path: Path) -> None:
    x = np.zeros((N, 4, 4), np.uint8)
    spec = _save(
        tmp_path / "d.npz",
        x=x,
        y=_labels(),
        x_test=np.full((8, 4, 4), 255, np.uint8),
        y_test=_labels(8),
        classes=np.array(["a", "b", "c", "d"]),
    )
    splits = load_dataset(DatasetConfig(name=spec, test_limit=4), 0)
    assert splits.classes == ["a", "b", "c", "d"]
    assert len(splits.test) == 4 and float(splits.test.x.min()) == 1.0
    assert sorted(splits.test.y.tolist()) == [0, 1, 2, 3]
    assert len(splits.train) + len(splits.val) == N


def test_relative_to_root(tmp_path: Path) -> None:
    np.savez(tmp_path / "d.npz", x=np.zeros((N, 4, 4), np.uint8), y=_labels())
    splits = load_dataset(DatasetConfig(name="npz:d.npz", root=str(tmp_path)), 0)
    assert splits.num_classes == 4


def test_missing_keys_listed(tmp_path: Path) -> None:
    spec = _save(tmp_path / "d.npz", X_train=np.zeros((N, 4, 4)), y=_labels())
    with pytest.raises(DataError, match="missing 'x' \\(found keys: X_train, y\\)") as info:
        load_dataset(DatasetConfig(name=spec), 0)
    assert "np.savez" in str(info.value) and str(tmp_path / "d.npz") in str(info.value)


def test_x_test_without_y_test(tmp_path: Path) -> None:
    spec = _save(tmp_path / "d.npz", x=np.zeros((N, 4, 4)), y=_labels(), x_test=np.zeros((2, 4, 4)))
    with pytest.raises(DataError, match="'x_test' is given without 'y_test'"):
        load_dataset(DatasetConfig(name=spec), 0)


def test_pickled_arrays_refused(tmp_path: Path) -> None:
    spec = _save(tmp_path / "d.npz", x=np.zeros((N, 4, 4)), y=np.array([{"a": 1}] * N))
    with pytest.raises(DataError, match="pickled"):
        load_dataset(DatasetConfig(name=spec), 0)


def test_npy_file_rejected(tmp_path: Path) -> None:
    np.save(tmp_path / "x.npy", np.zeros((N, 4, 4)))
    with pytest.raises(DataError, match=r"single \.npy array"):
        load_dataset(DatasetConfig(name=f"npz:{tmp_path / 'x.npy'}"), 0)


def test_not_an_archive(tmp_path: Path) -> None:
    (tmp_path / "d.npz").write_bytes(b"PK\x03\x04 garbage")
    with pytest.raises(DataError, match=r"cannot read as an \.npz archive"):
        load_dataset(DatasetConfig(name=f"npz:{tmp_path / 'd.npz'}"), 0)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such file") as info:
        load_dataset(DatasetConfig(name=f"npz:{tmp_path / 'nope.npz'}"), 0)
    assert "npz:PATH" in str(info.value)


def test_bad_values_name_the_file(tmp_path: Path) -> None:
    x = np.full((N, 4, 4), 0.5)
    x[7, 0, 0] = np.nan
    spec = _save(tmp_path / "d.npz", x=x, y=_labels())
    with pytest.raises(DataError, match="NaN or infinite") as info:
        load_dataset(DatasetConfig(name=spec), 0)
    assert str(info.value).startswith(str(tmp_path / "d.npz"))
