"""Seeded, stratified splitting and subsampling, vectorised over samples.

Every class keeps its share of the data in each split (largest-remainder rounding, so the
split sizes are exact). Each purpose (test split, validation split, each limit) draws from
its own generator derived from the seed, so changing one setting, say ``test_limit``, does
not reshuffle the others. Selected indices are returned in ascending order.
"""

from __future__ import annotations

import hashlib
import math

import torch

from safedl.config.profile import DatasetConfig
from safedl.data.dataset import TensorData
from safedl.data.images import ImageArray
from safedl.errors import DataError


def derive_generator(seed: int, purpose: str) -> torch.Generator:
    """A CPU generator seeded from ``seed`` and ``purpose`` (stable across processes)."""
    digest = hashlib.sha256(f"safedl.data:{seed}:{purpose}".encode()).digest()
    return torch.Generator().manual_seed(int.from_bytes(digest[:8], "little") >> 1)


def allocate(counts: torch.Tensor, total: int) -> torch.Tensor:
    """Split ``total`` across classes in proportion to ``counts`` (largest remainder).

    Args:
        counts: int64 ``[K]`` samples per class.
        total: How many to take in all, ``0 <= total <= counts.sum()``.

    Returns:
        int64 ``[K]`` per-class quotas, each ``<= counts``, summing to ``total``.
    """
    n = int(counts.sum())
    if n == 0 or total <= 0:
        return torch.zeros_like(counts)
    exact = counts.double() * (min(total, n) / n)
    quota = exact.floor().long()
    remainder = min(total, n) - int(quota.sum())
    if remainder > 0:
        order = torch.argsort(exact - quota.double(), descending=True, stable=True)
        quota[order[:remainder]] += 1
    return torch.minimum(quota, counts)


def _ranked(
    y: torch.Tensor, num_classes: int, gen: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Indices grouped by class in random order, each one's label and rank in its class.

    Also returns the per-class counts. Vectorised: one permutation and one stable sort.
    """
    perm = torch.randperm(y.numel(), generator=gen)
    order = torch.argsort(y[perm], stable=True)
    index = perm[order]
    labels = y[index]
    counts = torch.bincount(y, minlength=num_classes)
    starts = torch.cumsum(counts, 0) - counts
    rank = torch.arange(y.numel()) - starts[labels]
    return index, labels, rank, counts


def stratified_split(
    y: torch.Tensor, fraction: float, num_classes: int, gen: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Hold out ``fraction`` of each class, keeping at least one sample of a class.

    Args:
        y: int64 labels ``[N]``.
        fraction: Share to hold out, in [0, 1).
        num_classes: Number of classes (labels are below it).
        gen: Generator that decides which samples are held out.

    Returns:
        ``(kept, held_out)``: sorted int64 index tensors into ``y`` that partition it.
    """
    index, labels, rank, counts = _ranked(y, num_classes, gen)
    total = math.floor(y.numel() * fraction + 0.5)
    quota = torch.minimum(allocate(counts, total), (counts - 1).clamp(min=0))
    held = rank < quota[labels]
    return torch.sort(index[~held]).values, torch.sort(index[held]).values


def stratified_subsample(
    y: torch.Tensor, limit: int, num_classes: int, gen: torch.Generator
) -> torch.Tensor:
    """At most ``limit`` indices into ``y``, stratified by class, sorted; all when it fits."""
    if limit >= y.numel():
        return torch.arange(y.numel())
    index, labels, rank, counts = _ranked(y, num_classes, gen)
    keep = rank < allocate(counts, limit)[labels]
    return torch.sort(index[keep]).values


def make_splits(
    pool: ImageArray,
    test: ImageArray | None,
    num_classes: int,
    cfg: DatasetConfig,
    seed: int,
    source: str,
) -> tuple[TensorData, TensorData, TensorData]:
    """Split validated data into train, validation and test sets, then apply the limits.

    Without an official test split, ``cfg.test_fraction`` of ``pool`` becomes the test set.
    ``cfg.val_fraction`` of the remaining training data becomes the validation set (empty
    when 0). ``cfg.train_limit`` subsamples the training set and shrinks the validation set in
    proportion (so validation never outgrows training); ``cfg.test_limit`` subsamples the
    test set. Only labels are shuffled; images are gathered once per split at the end.

    Args:
        pool: All training data (including the future test set when ``test`` is ``None``).
        test: The official test split, or ``None``.
        num_classes: Number of classes.
        cfg: Fractions and limits.
        seed: The run's seed: the same seed gives identical splits.
        source: Named in errors.

    Returns:
        ``(train, val, test)`` as float32 :class:`TensorData`.

    Raises:
        DataError: The data is too small to hold out a non-empty test set.
    """

    def gen(purpose: str) -> torch.Generator:
        return derive_generator(seed, purpose)

    y = pool.y
    rest = torch.arange(len(pool))
    test_idx: torch.Tensor | None = None
    if test is None:
        rest, test_idx = stratified_split(y, cfg.test_fraction, num_classes, gen("test"))
        if test_idx.numel() == 0:
            raise DataError(
                f"{source}: only {len(pool)} samples; too few to hold out a test set "
                f"(dataset.test_fraction = {cfg.test_fraction})",
                hint="add samples, raise dataset.test_fraction, or give an official test "
                "split (x_test, y_test)",
            )
    test_source = pool if test is None else test
    kept, held = stratified_split(y[rest], cfg.val_fraction, num_classes, gen("val"))
    train_idx, val_idx = rest[kept], rest[held]
    if cfg.train_limit is not None and cfg.train_limit < train_idx.numel():
        ratio = cfg.train_limit / train_idx.numel()
        pick = stratified_subsample(y[train_idx], cfg.train_limit, num_classes, gen("train_limit"))
        train_idx = train_idx[pick]
        val_limit = max(math.ceil(val_idx.numel() * ratio), 1 if val_idx.numel() else 0)
        val_idx = val_idx[
            stratified_subsample(y[val_idx], val_limit, num_classes, gen("val_limit"))
        ]
    test_y = test_source.y if test_idx is None else test_source.y[test_idx]
    if cfg.test_limit is not None and cfg.test_limit < test_y.numel():
        pick = stratified_subsample(test_y, cfg.test_limit, num_classes, gen("test_limit"))
        test_idx = pick if test_idx is None else test_idx[pick]
    return pool.take(train_idx), pool.take(val_idx), test_source.take(test_idx)


__all__ = [
    "allocate",
    "derive_generator",
    "make_splits",
    "stratified_split",
    "stratified_subsample",
]
