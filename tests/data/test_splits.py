"""Seeded stratified splitting and subsampling."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from safedl.config import DatasetConfig
from safedl.data.images import ImageArray
from safedl.data.splits import (
    allocate,
    derive_generator,
    make_splits,
    stratified_split,
    stratified_subsample,
)
from safedl.errors import DataError


def _pool(counts: list[int]) -> ImageArray:
    """Images whose single pixel encodes the sample index, so splits can be traced."""
    y = torch.repeat_interleave(torch.arange(len(counts)), torch.tensor(counts))
    n = int(y.numel())
    x = (np.arange(n, dtype=np.float64) / max(n - 1, 1)).reshape(n, 1, 1, 1)
    return ImageArray(x, y)


def _ids(part: torch.Tensor, n: int) -> set[int]:
    return set(torch.round(part.flatten().double() * (n - 1)).long().tolist())


def test_allocate_is_proportional_and_exact() -> None:
    counts = torch.tensor([50, 30, 20])
    assert allocate(counts, 10).tolist() == [5, 3, 2]
    assert int(allocate(counts, 7).sum()) == 7
    assert allocate(counts, 100).tolist() == [50, 30, 20]
    assert allocate(counts, 0).tolist() == [0, 0, 0]


@settings(max_examples=60, deadline=None)
@given(
    counts=st.lists(st.integers(0, 40), min_size=1, max_size=8),
    fraction=st.floats(0.0, 0.49),
    seed=st.integers(0, 2**32),
)
def test_split_partitions_and_keeps_every_class(
    counts: list[int], fraction: float, seed: int
) -> None:
    y = torch.repeat_interleave(torch.arange(len(counts)), torch.tensor(counts))
    kept, held = stratified_split(y, fraction, len(counts), derive_generator(seed, "t"))
    assert sorted(torch.cat([kept, held]).tolist()) == list(range(y.numel()))
    assert torch.equal(kept, torch.sort(kept).values)
    kept_counts = torch.bincount(y[kept], minlength=len(counts))
    present = torch.tensor(counts) > 0
    assert bool((kept_counts[present] >= 1).all())
    assert abs(held.numel() - y.numel() * fraction) <= 1 + sum(c == 1 for c in counts)


def test_subsample_is_stratified() -> None:
    y = torch.repeat_interleave(torch.arange(3), torch.tensor([600, 300, 100]))
    pick = stratified_subsample(y, 100, 3, derive_generator(0, "x"))
    assert torch.bincount(y[pick]).tolist() == [60, 30, 10]
    assert stratified_subsample(y, 5000, 3, derive_generator(0, "x")).numel() == 1000


def test_same_seed_same_split_different_seed_different() -> None:
    pool, cfg = _pool([40, 40, 40]), DatasetConfig(val_fraction=0.2, test_fraction=0.25)
    a = make_splits(pool, None, 3, cfg, 7, "s")
    b = make_splits(pool, None, 3, cfg, 7, "s")
    c = make_splits(pool, None, 3, cfg, 8, "s")
    for left, right in zip(a, b, strict=True):
        assert left.fingerprint() == right.fingerprint()
    assert a[2].fingerprint() != c[2].fingerprint()


def test_splits_are_disjoint_stratified_and_complete() -> None:
    counts = [50, 30, 20]
    train, val, test = make_splits(
        _pool(counts), None, 3, DatasetConfig(val_fraction=0.1, test_fraction=0.2), 0, "s"
    )
    assert torch.bincount(test.y).tolist() == [10, 6, 4]
    assert torch.bincount(val.y).tolist() == [4, 2, 2]
    ids = [_ids(part.x, 100) for part in (train, val, test)]
    assert not (ids[0] & ids[1]) and not (ids[0] & ids[2]) and not (ids[1] & ids[2])
    assert set().union(*ids) == set(range(100))
    # labels travel with their images: sample i has label 0 for i < 50, 1 for i < 80
    for part in (train, val, test):
        index = torch.round(part.x.flatten().double() * 99).long()
        assert torch.equal(part.y, torch.bucketize(index, torch.tensor([49, 79]), right=False))


def test_zero_val_fraction_gives_empty_val() -> None:
    train, val, _ = make_splits(_pool([10, 10]), None, 2, DatasetConfig(val_fraction=0.0), 0, "s")
    assert len(val) == 0 and val.x.shape == (0, 1, 1, 1) and len(train) == 16


def test_limits_and_independence() -> None:
    pool = _pool([300, 300])
    base = DatasetConfig(val_fraction=0.1, test_fraction=0.2)
    train, _, test = make_splits(pool, None, 2, base, 0, "s")
    limited = make_splits(
        pool, None, 2, base.model_copy(update={"train_limit": 100, "test_limit": 50}), 0, "s"
    )
    assert [len(p) for p in limited] == [100, 12, 50]
    assert torch.bincount(limited[0].y).tolist() == [50, 50]
    assert _ids(limited[0].x, 600) <= _ids(train.x, 600)
    assert _ids(limited[2].x, 600) <= _ids(test.x, 600)
    # a test limit never changes the training set
    only_test = make_splits(pool, None, 2, base.model_copy(update={"test_limit": 10}), 0, "s")
    assert only_test[0].fingerprint() == train.fingerprint()


def test_official_test_split_untouched_without_limit() -> None:
    official = _pool([5, 5])
    _, _, test = make_splits(_pool([20, 20]), official, 2, DatasetConfig(), 0, "s")
    assert torch.equal(test.x, official.take().x) and torch.equal(test.y, official.y)


def test_too_small_for_a_test_set() -> None:
    with pytest.raises(DataError, match="too few to hold out a test set"):
        make_splits(_pool([1, 1]), None, 2, DatasetConfig(test_fraction=0.2), 0, "tiny.npz")
