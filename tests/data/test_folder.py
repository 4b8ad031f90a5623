"""``folder:PATH``: tiny PNGs made with Pillow, one sub-folder per class."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from safedl.config import DatasetConfig
from safedl.data import load_dataset
from safedl.errors import DataError


def _png(path: Path, color: tuple[int, int, int], size: tuple[int, int] = (6, 5)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, color).save(path)


def _make(root: Path, per_class: int = 5) -> None:
    colors = {"cat": (255, 0, 0), "dog": (0, 255, 0), "owl": (0, 0, 255)}
    for name, color in colors.items():
        for i in range(per_class):
            _png(root / name / f"{i:03d}.png", color)


def test_classes_shapes_and_pixels(tmp_path: Path) -> None:
    _make(tmp_path)
    (tmp_path / "cat" / "notes.txt").write_text("not an image")
    (tmp_path / ".hidden").mkdir()
    splits = load_dataset(DatasetConfig(name=f"folder:{tmp_path}", val_fraction=0), 0)
    assert splits.classes == ["cat", "dog", "owl"]
    assert splits.input_shape == (3, 5, 6)  # (C, H, W) of a 6-wide, 5-high image
    assert len(splits.train) + len(splits.test) == 15
    assert torch.bincount(splits.test.y).tolist() == [1, 1, 1]
    # each image's colour matches its label: red cat, green dog, blue owl
    means = splits.train.x.mean(dim=(2, 3))
    assert torch.equal(means.argmax(dim=1), splits.train.y)
    assert float(splits.train.x.max()) == 1.0 and float(splits.train.x.min()) == 0.0


def test_grayscale(tmp_path: Path) -> None:
    _make(tmp_path)
    splits = load_dataset(DatasetConfig(name=f"folder:{tmp_path}", grayscale=True), 0)
    assert splits.input_shape == (1, 5, 6)
    # ITU-R 601 luma of pure green is 150/255
    green = splits.train.x[splits.train.y == 1]
    assert torch.allclose(green, torch.full_like(green, 150 / 255), atol=1 / 255)


def test_differing_sizes_need_image_size(tmp_path: Path) -> None:
    _make(tmp_path)
    _png(tmp_path / "dog" / "big.png", (0, 255, 0), size=(9, 9))
    with pytest.raises(DataError, match="images differ in size") as info:
        load_dataset(DatasetConfig(name=f"folder:{tmp_path}"), 0)
    message = str(info.value)
    assert "big.png is 9x9" in message and "dataset.image_size" in message


def test_image_size_resizes(tmp_path: Path) -> None:
    _make(tmp_path)
    _png(tmp_path / "dog" / "big.png", (0, 255, 0), size=(9, 9))
    splits = load_dataset(DatasetConfig(name=f"folder:{tmp_path}", image_size=4), 0)
    assert splits.input_shape == (3, 4, 4)
    assert len(splits.train) + len(splits.val) + len(splits.test) == 16


def test_other_formats_and_nested_files(tmp_path: Path) -> None:
    _make(tmp_path, per_class=3)
    Image.new("L", (6, 5), 128).save(tmp_path / "owl" / "extra.bmp")
    (tmp_path / "owl" / "sub").mkdir()
    Image.new("RGB", (6, 5), (0, 0, 255)).save(tmp_path / "owl" / "sub" / "x.JPG", "JPEG")
    splits = load_dataset(DatasetConfig(name=f"folder:{tmp_path}", val_fraction=0), 0)
    all_y = torch.cat([splits.train.y, splits.test.y])
    assert torch.bincount(all_y).tolist() == [3, 3, 5]


def test_empty_class_folder(tmp_path: Path) -> None:
    _make(tmp_path)
    (tmp_path / "emu").mkdir()
    (tmp_path / "emu" / "readme.md").write_text("todo")
    with pytest.raises(DataError, match="class 'emu' has no images") as info:
        load_dataset(DatasetConfig(name=f"folder:{tmp_path}"), 0)
    assert str(tmp_path / "emu") in str(info.value)


def test_no_class_folders(tmp_path: Path) -> None:
    _png(tmp_path / "loose.png", (1, 2, 3))
    with pytest.raises(DataError, match="no class sub-folders") as info:
        load_dataset(DatasetConfig(name=f"folder:{tmp_path}"), 0)
    assert "PATH/<class>/<image>" in str(info.value)


def test_corrupt_image_named(tmp_path: Path) -> None:
    _make(tmp_path)
    (tmp_path / "cat" / "broken.png").write_bytes(b"\x89PNG not really")
    with pytest.raises(DataError, match="cannot read image") as info:
        load_dataset(DatasetConfig(name=f"folder:{tmp_path}"), 0)
    assert "broken.png" in str(info.value)


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such folder"):
        load_dataset(DatasetConfig(name=f"folder:{tmp_path / 'nope'}"), 0)


def test_same_seed_same_files(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    for name in ("a", "b"):
        for i in range(10):
            pixels = rng.integers(0, 256, (5, 6, 3), dtype=np.uint8)
            (tmp_path / name).mkdir(exist_ok=True)
            Image.fromarray(pixels).save(tmp_path / name / f"{i}.png")
    cfg = DatasetConfig(name=f"folder:{tmp_path}")
    assert load_dataset(cfg, 3).fingerprint() == load_dataset(cfg, 3).fingerprint()
    assert load_dataset(cfg, 3).fingerprint() != load_dataset(cfg, 4).fingerprint()
