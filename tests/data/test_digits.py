"""The bundled scikit-learn digits."""

from __future__ import annotations

import torch

from safedl.config import DatasetConfig
from safedl.data import load_dataset


def test_shape_range_classes() -> None:
    splits = load_dataset(DatasetConfig(name="digits"), seed=0)
    assert splits.input_shape == (1, 8, 8)
    assert splits.classes == [str(i) for i in range(10)]
    assert len(splits.train) + len(splits.val) + len(splits.test) == 1797
    assert len(splits.test) == round(1797 * 0.2)
    assert len(splits.val) == round((1797 - 359) * 0.1)
    for part in (splits.train, splits.val, splits.test):
        assert part.x.dtype == torch.float32 and part.y.dtype == torch.int64
        assert float(part.x.min()) == 0.0 and float(part.x.max()) == 1.0
        assert set(part.y.tolist()) == set(range(10))
    # pixel values were 0..16: scaled by 1/16 exactly
    assert torch.equal(torch.round(splits.train.x * 16), splits.train.x * 16)


def test_split_determinism() -> None:
    cfg = DatasetConfig(name="digits", train_limit=300, test_limit=100)
    a, b = load_dataset(cfg, seed=1), load_dataset(cfg, seed=1)
    assert torch.equal(a.train.x, b.train.x) and torch.equal(a.test.y, b.test.y)
    assert a.fingerprint() == b.fingerprint()
    c = load_dataset(cfg, seed=2)
    assert a.fingerprint() != c.fingerprint()
    assert not torch.equal(a.test.x, c.test.x)
    assert (len(a.train), len(a.test)) == (300, 100)
    # stratified: each digit has 28 to 32 of the 300 training images
    counts = torch.bincount(a.train.y)
    assert int(counts.min()) >= 28 and int(counts.max()) <= 32
