"""Where file-based datasets are looked for, the optional torchvision download, and the error
that tells the user where Safe-DL looked and how to get the files.

Search order for a dataset ``name``:

1. ``dataset.root`` (the directory itself, then its conventional sub-directories). An explicit
   root is final: if the files are not there, Safe-DL does not silently use other copies.
2. ``$SAFEDL_DATA/<sub-directory>`` for each conventional name, then ``$SAFEDL_DATA`` itself.
3. System directories where a distribution package installs the files (:data:`SYSTEM_DATA_DIRS`).
4. Safe-DL's download cache, ``$XDG_CACHE_HOME/safedl/data`` or ``~/.cache/safedl/data``.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

from safedl.errors import DataError

log = logging.getLogger(__name__)

T = TypeVar("T")

SYSTEM_DATA_DIRS: dict[str, tuple[str, ...]] = {
    "fashion_mnist": ("/usr/share/datasets/fashion-mnist",),
    "mnist": ("/usr/share/datasets/mnist",),
    "cifar10": (),
}
"""Directories where distribution packages install datasets (Debian: dataset-fashion-mnist)."""


def _env_dir() -> Path | None:
    value = os.environ.get("SAFEDL_DATA")
    return Path(value).expanduser() if value else None


def data_home() -> Path:
    """Where downloads go: ``$SAFEDL_DATA``, else ``$XDG_CACHE_HOME/safedl/data`` or
    ``~/.cache/safedl/data``."""
    env = _env_dir()
    if env is not None:
        return env
    cache = os.environ.get("XDG_CACHE_HOME")
    base = Path(cache).expanduser() if cache else Path.home() / ".cache"
    return base / "safedl" / "data"


def candidate_dirs(name: str, root: str | None, subdirs: Sequence[str]) -> list[Path]:
    """The directories to search for dataset ``name``, in order, without duplicates.

    Args:
        name: Registered dataset name (key of :data:`SYSTEM_DATA_DIRS`).
        root: ``dataset.root``; when set, only it and its sub-directories are searched.
        subdirs: Conventional sub-directory names (e.g. ``fashion-mnist``,
            ``FashionMNIST/raw``).

    Returns:
        Directories to probe, whether or not they exist.
    """
    if root:
        base = Path(root).expanduser()
        dirs = [base, *(base / s for s in subdirs)]
    else:
        dirs = []
        env = _env_dir()
        if env is not None:
            dirs += [*(env / s for s in subdirs), env]
        dirs += [Path(d) for d in SYSTEM_DATA_DIRS.get(name, ())]
        cache = data_home()
        dirs += [cache / s for s in subdirs]
    unique: list[Path] = []
    for d in dirs:
        if d not in unique:
            unique.append(d)
    return unique


def search(dirs: Sequence[Path], probe: Callable[[Path], T | str]) -> tuple[T | None, list[str]]:
    """Probe each directory in turn; return the first hit and what was found elsewhere.

    Args:
        dirs: Directories in search order.
        probe: Returns the dataset's files for a directory that holds them all, or a short
            reason (such as ``"missing t10k-labels-idx1-ubyte"``) when it does not.

    Returns:
        ``(found, looked)``: the first probe result that is not a string (or ``None``), and
        one line per directory probed before it, for the not-found message.
    """
    looked: list[str] = []
    for d in dirs:
        if not d.is_dir():
            looked.append(f"{d} (no such directory)")
            continue
        result = probe(d)
        if not isinstance(result, str):
            log.debug("found dataset files in %s", d)
            return result, looked
        looked.append(f"{d} ({result})")
    return None, looked


def import_torchvision() -> ModuleType | None:
    """Import torchvision if it is installed (the optional ``vision`` extra), else ``None``."""
    try:
        return importlib.import_module("torchvision")
    except ImportError:
        return None


def not_found(name: str, files: str, looked: Sequence[str], how: Sequence[str]) -> DataError:
    """The error raised when a dataset's files are nowhere to be found.

    Args:
        name: Dataset name.
        files: What was looked for (e.g. ``"the four IDX files train-images-idx3-ubyte[.gz],
            ..."``).
        looked: One line per directory searched, from :func:`search`.
        how: Ways to get the files, joined into the hint.

    Returns:
        A :class:`DataError` to raise.
    """
    where = "\n".join(f"    - {line}" for line in looked) or "    (no directories)"
    return DataError(
        f"dataset {name!r} not found: looked for {files} in\n{where}",
        hint="; or ".join(how),
    )


def download_with_torchvision(tv: ModuleType, class_name: str, name: str, dest: Path) -> list[Any]:
    """Download a dataset with torchvision into ``dest``; return its train and test sets.

    torchvision verifies each archive's MD5 before use, so its loaders are trusted here.

    Args:
        tv: The imported torchvision module.
        class_name: The dataset class in ``torchvision.datasets`` (e.g. ``"FashionMNIST"``).
        name: Safe-DL's dataset name, for messages.
        dest: The download root.

    Returns:
        ``[train_set, test_set]`` as torchvision dataset objects.

    Raises:
        DataError: The download failed (e.g. no network).
    """
    log.info("dataset %r not found locally; downloading with torchvision into %s", name, dest)
    try:
        dest.mkdir(parents=True, exist_ok=True)
        cls = getattr(tv.datasets, class_name)
        return [cls(root=str(dest), train=train, download=True) for train in (True, False)]
    except Exception as exc:  # network, disk, checksum: all mean "could not download"
        raise DataError(
            f"dataset {name!r} not found locally, and downloading it with torchvision into "
            f"{dest} failed: {exc}",
            hint="check the network connection, or put the files in a directory and set "
            "dataset.root (or $SAFEDL_DATA)",
        ) from exc


__all__ = [
    "SYSTEM_DATA_DIRS",
    "candidate_dirs",
    "data_home",
    "download_with_torchvision",
    "import_torchvision",
    "not_found",
    "search",
]
