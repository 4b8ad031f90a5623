"""CIFAR-10 (Krizhevsky, 2009): 50,000 train + 10,000 test colour images, 32x32, 10 classes.

Reads the *binary* version (``cifar-10-batches-bin``: ``data_batch_1.bin`` .. ``_5.bin`` and
``test_batch.bin``; each record is one label byte then 3,072 pixel bytes, red, green, blue
planes). Safe-DL never unpickles user files, so the Python version is read only through
torchvision's own loader (which verifies the archive's MD5) when torchvision is installed
and no binary files are found.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from safedl.config.profile import DatasetConfig
from safedl.data import locate
from safedl.data.raw import RawData
from safedl.errors import DataError

CIFAR10_CLASSES = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
]
TRAIN_BATCHES = tuple(f"data_batch_{i}.bin" for i in range(1, 6))
TEST_BATCH = "test_batch.bin"
SUBDIRS = ("cifar-10-batches-bin", "cifar10", "cifar10/cifar-10-batches-bin")
RECORD = 1 + 3 * 32 * 32


def batch_files(directory: Path) -> list[Path] | str:
    """The six binary batch files in ``directory`` (train first), or what is missing."""
    names = (*TRAIN_BATCHES, TEST_BATCH)
    missing = [n for n in names if not (directory / n).is_file()]
    if not missing:
        return [directory / n for n in names]
    if len(missing) == len(names):
        return "no CIFAR-10 binary batches"
    return "missing " + ", ".join(missing)


def read_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Read one binary batch: uint8 images ``[N, 3, 32, 32]`` and uint8 labels ``[N]``.

    Raises:
        DataError: Naming the file, when it cannot be read or its size is not a whole number
            of 3,073-byte records.
    """
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as exc:
        raise DataError(f"{path}: cannot read CIFAR-10 batch ({exc})") from exc
    if data.size == 0 or data.size % RECORD:
        raise DataError(
            f"{path}: {data.size} bytes is not a whole number of {RECORD}-byte CIFAR-10 records",
            hint="the file is truncated or not from cifar-10-binary.tar.gz: download it again",
        )
    records = data.reshape(-1, RECORD)
    return records[:, 1:].reshape(-1, 3, 32, 32), records[:, 0].copy()


def load_cifar10(cfg: DatasetConfig) -> RawData:
    """Find and read CIFAR-10 (binary version), or fetch it with torchvision.

    Args:
        cfg: ``cfg.root`` overrides the search path.

    Returns:
        Train and official test arrays (uint8 ``[N, 3, 32, 32]``) with class names.

    Raises:
        DataError: The files are not found and torchvision is not installed or the download
            fails; or a batch file is malformed.
    """
    found, looked = locate.search(locate.candidate_dirs("cifar10", cfg.root, SUBDIRS), batch_files)
    if found is not None:
        train = [read_batch(p) for p in found[: len(TRAIN_BATCHES)]]
        x_test, y_test = read_batch(found[-1])
        return RawData(
            source=str(found[0].parent),
            x=np.concatenate([x for x, _ in train]),
            y=np.concatenate([y for _, y in train]),
            x_test=x_test,
            y_test=y_test,
            classes=CIFAR10_CLASSES,
            layout="NCHW",
        )
    tv = locate.import_torchvision()
    if tv is None:
        raise locate.not_found(
            "cifar10",
            f"the binary batches {', '.join(TRAIN_BATCHES)}, {TEST_BATCH}",
            looked,
            [
                "extract cifar-10-binary.tar.gz and set dataset.root (or the SAFEDL_DATA "
                "environment variable) to the folder holding cifar-10-batches-bin",
                "pip install torchvision (the 'vision' extra) to download it automatically",
            ],
        )
    dest = Path(cfg.root).expanduser() if cfg.root else locate.data_home()
    train_set, test_set = locate.download_with_torchvision(tv, "CIFAR10", "cifar10", dest)
    return RawData(
        source=f"torchvision CIFAR10 in {dest}",
        x=np.asarray(train_set.data),
        y=np.asarray(train_set.targets),
        x_test=np.asarray(test_set.data),
        y_test=np.asarray(test_set.targets),
        classes=CIFAR10_CLASSES,
        layout="NHWC",
    )


__all__ = ["CIFAR10_CLASSES", "batch_files", "load_cifar10", "read_batch"]
