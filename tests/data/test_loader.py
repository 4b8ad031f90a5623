"""Dispatching dataset names and specs; no I/O or heavy imports at import time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from safedl.config import DatasetConfig
from safedl.data import dataset_names, load_dataset
from safedl.errors import DataError


def test_dataset_names() -> None:
    assert dataset_names() == ["cifar10", "digits", "fashion_mnist", "mnist"]


def test_unknown_name_suggests() -> None:
    with pytest.raises(DataError, match="unknown dataset 'fashion-mnst'") as info:
        load_dataset(DatasetConfig(name="fashion-mnst"), 0)
    assert "did you mean 'fashion_mnist'" in str(info.value)
    assert "npz:PATH" in str(info.value)


def test_bare_npz_path_suggests_spec(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"did you mean 'npz:data\.npz'"):
        load_dataset(DatasetConfig(name="data.npz"), 0)


def test_bare_folder_suggests_spec(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=f"did you mean 'folder:{tmp_path}'"):
        load_dataset(DatasetConfig(name=str(tmp_path)), 0)


def test_names_are_forgiving() -> None:
    assert load_dataset(DatasetConfig(name="Digits"), 0).num_classes == 10


def test_spec_prefix_without_argument() -> None:
    with pytest.raises(DataError, match="has nothing after 'npz:'"):
        load_dataset(DatasetConfig(name="npz:"), 0)


def test_spec_prefix_case_insensitive(tmp_path: Path) -> None:
    np.savez(tmp_path / "d.npz", x=np.zeros((20, 3, 3), np.uint8), y=np.arange(20) % 2)
    assert load_dataset(DatasetConfig(name=f"NPZ:{tmp_path / 'd.npz'}"), 0).num_classes == 2


def test_import_is_lazy() -> None:
    code = (
        "import sys, safedl.data\n"
        "heavy = [m for m in ('sklearn', 'torchvision', 'PIL') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
