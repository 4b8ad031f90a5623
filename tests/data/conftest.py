"""Fixtures for the data tests: an isolated environment and writers of tiny synthetic data."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from safedl.data import locate
from safedl.data.idx import write_idx
from safedl.data.mnist import IDX_FILES

IdxWriter = Callable[..., dict[str, np.ndarray]]


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No $SAFEDL_DATA from the caller's shell, and a download cache inside tmp_path."""
    monkeypatch.delenv("SAFEDL_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))


@pytest.fixture
def no_system_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend no distribution package installed any dataset."""
    for name in list(locate.SYSTEM_DATA_DIRS):
        monkeypatch.setitem(locate.SYSTEM_DATA_DIRS, name, ())


@pytest.fixture
def no_torchvision(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``import torchvision`` fail, whether or not it is installed."""
    monkeypatch.setitem(sys.modules, "torchvision", None)


def make_idx_arrays(
    n_train: int, n_test: int, seed: int = 0, size: int = 6
) -> dict[str, np.ndarray]:
    """Random uint8 images and balanced labels 0..9, keyed by IDX base name."""
    rng = np.random.default_rng(seed)
    return {
        IDX_FILES[0]: rng.integers(0, 256, (n_train, size, size), dtype=np.uint8),
        IDX_FILES[1]: (np.arange(n_train) % 10).astype(np.uint8),
        IDX_FILES[2]: rng.integers(0, 256, (n_test, size, size), dtype=np.uint8),
        IDX_FILES[3]: (np.arange(n_test) % 10).astype(np.uint8),
    }


@pytest.fixture
def write_idx_dataset() -> IdxWriter:
    """Write the four IDX files of a tiny MNIST-like dataset into a directory."""

    def write(
        directory: Path, n_train: int = 40, n_test: int = 20, gz: bool = True, seed: int = 0
    ) -> dict[str, np.ndarray]:
        directory.mkdir(parents=True, exist_ok=True)
        arrays = make_idx_arrays(n_train, n_test, seed)
        for base, array in arrays.items():
            write_idx(directory / (base + (".gz" if gz else "")), array)
        return arrays

    return write
