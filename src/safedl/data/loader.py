"""The dataset registry and :func:`load_dataset`, the one entry point of the data layer.

``dataset.name`` is either a registered name (:func:`dataset_names`) or a spec with a
prefix: ``npz:PATH``, ``folder:PATH`` or ``python:module:function``. Every source goes
through the same validation (:mod:`safedl.data.validate`) and seeded stratified splitting
(:mod:`safedl.data.splits`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from safedl.config.profile import DatasetConfig
from safedl.data.cifar import load_cifar10
from safedl.data.dataset import DataSplits
from safedl.data.digits import load_digits
from safedl.data.folder import load_folder
from safedl.data.mnist import load_fashion_mnist, load_mnist
from safedl.data.npz import load_npz
from safedl.data.pyfunc import load_python
from safedl.data.raw import RawData
from safedl.data.splits import make_splits
from safedl.data.validate import check
from safedl.errors import DataError
from safedl.suggest import did_you_mean

log = logging.getLogger(__name__)

Loader = Callable[[DatasetConfig], RawData]
SpecLoader = Callable[[str, DatasetConfig], RawData]

DATASETS: dict[str, Loader] = {
    "cifar10": load_cifar10,
    "digits": load_digits,
    "fashion_mnist": load_fashion_mnist,
    "mnist": load_mnist,
}
"""Registered datasets: name -> loader."""

SPECS: dict[str, SpecLoader] = {
    "folder": load_folder,
    "npz": load_npz,
    "python": load_python,
}
"""Spec prefixes: ``prefix:ARG`` -> loader called with ARG."""

_SPEC_FORMS = "'npz:PATH', 'folder:PATH' or 'python:module:function'"


def dataset_names() -> list[str]:
    """The registered dataset names, sorted (specs such as ``npz:PATH`` are not listed)."""
    return sorted(DATASETS)


def _unknown(name: str) -> DataError:
    """The error for a name that is neither registered nor a spec, with a suggestion."""
    if name.endswith(".npz"):
        hint = f"did you mean 'npz:{name}'?"
    elif Path(name).expanduser().is_dir():
        hint = f"did you mean 'folder:{name}'?"
    else:
        hint = f"{did_you_mean(name, DATASETS)} Or use a spec: {_SPEC_FORMS}"
    return DataError(f"unknown dataset {name!r}", hint=hint)


def read_source(cfg: DatasetConfig) -> RawData:
    """Dispatch ``cfg.name`` to its loader and return the raw arrays (not yet validated).

    Raises:
        DataError: The name is unknown, a spec has no argument, or the loader fails.
    """
    name = cfg.name.strip()
    prefix, sep, arg = name.partition(":")
    if sep and prefix.lower() in SPECS:
        if not arg.strip():
            raise DataError(
                f"dataset spec {name!r} has nothing after '{prefix}:'",
                hint=f"write it as {_SPEC_FORMS}",
            )
        return SPECS[prefix.lower()](arg.strip(), cfg)
    key = name.lower().replace("-", "_")
    if key not in DATASETS:
        raise _unknown(name)
    return DATASETS[key](cfg)


def load_dataset(cfg: DatasetConfig, seed: int) -> DataSplits:
    """Load, validate and split the dataset a profile names.

    Args:
        cfg: Which dataset, where its files are, split fractions and limits.
        seed: Seeds the split: the same seed gives identical splits.

    Returns:
        Train, validation and test sets as in-memory CPU tensors, with class names.

    Raises:
        DataError: The dataset is unknown, cannot be found or read, or is malformed; the
            message names the source, the problem and the fix.

    Example:
        >>> from safedl.config import DatasetConfig
        >>> splits = load_dataset(DatasetConfig(name="digits"), seed=0)
        >>> splits.input_shape, splits.num_classes
        ((1, 8, 8), 10)
    """
    start = time.perf_counter()
    raw = read_source(cfg)
    checked = check(raw)
    train, val, test = make_splits(
        checked.pool, checked.test, len(checked.classes), cfg, seed, raw.source
    )
    splits = DataSplits(name=cfg.name, train=train, val=val, test=test, classes=checked.classes)
    log.info(
        "loaded %s from %s: %d train, %d val, %d test, shape %s, %d classes (%.2fs)",
        cfg.name,
        raw.source,
        len(train),
        len(val),
        len(test),
        splits.input_shape,
        splits.num_classes,
        time.perf_counter() - start,
    )
    return splits


__all__ = ["DATASETS", "SPECS", "dataset_names", "load_dataset", "read_source"]
