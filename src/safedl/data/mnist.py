"""MNIST and Fashion-MNIST from their standard IDX files (60,000 train + 10,000 test, 28x28).

Files are found as described in :mod:`safedl.data.locate` (``dataset.root``,
``$SAFEDL_DATA``, ``/usr/share/datasets/...`` from Debian's ``dataset-fashion-mnist``, the
download cache); when they are nowhere and torchvision is installed, torchvision downloads
them and Safe-DL reads the IDX files it wrote. The official test split is the test set.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from safedl.config.profile import DatasetConfig
from safedl.data import locate
from safedl.data.idx import read_idx
from safedl.data.raw import RawData

TRAIN_IMAGES = "train-images-idx3-ubyte"
TRAIN_LABELS = "train-labels-idx1-ubyte"
TEST_IMAGES = "t10k-images-idx3-ubyte"
TEST_LABELS = "t10k-labels-idx1-ubyte"
IDX_FILES = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)

FASHION_MNIST_CLASSES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]
MNIST_CLASSES = [str(i) for i in range(10)]


@dataclass(frozen=True)
class IdxDataset:
    """How to find one IDX dataset.

    Attributes:
        name: Registered name.
        subdirs: Conventional directory names under ``dataset.root`` / ``$SAFEDL_DATA``.
        torchvision_class: Its class in ``torchvision.datasets``.
        classes: Class names.
        apt_package: Debian package that installs the files, if any.
    """

    name: str
    subdirs: tuple[str, ...]
    torchvision_class: str
    classes: tuple[str, ...]
    apt_package: str | None = None


FASHION_MNIST = IdxDataset(
    "fashion_mnist",
    ("fashion-mnist", "fashion_mnist", "FashionMNIST/raw"),
    "FashionMNIST",
    tuple(FASHION_MNIST_CLASSES),
    apt_package="dataset-fashion-mnist",
)
MNIST = IdxDataset("mnist", ("mnist", "MNIST/raw"), "MNIST", tuple(MNIST_CLASSES))


def _variants(base: str) -> list[str]:
    """File names a distribution may use: plain or gzipped, ``-idx`` or ``.idx``."""
    names = [base, base.replace("-idx", ".idx")]
    return [n + ext for n in names for ext in ("", ".gz")]


def idx_files(directory: Path) -> dict[str, Path] | str:
    """The four IDX files in ``directory``, or a short note of what is missing."""
    found: dict[str, Path] = {}
    for base in IDX_FILES:
        for candidate in _variants(base):
            if (directory / candidate).is_file():
                found[base] = directory / candidate
                break
    missing = [b for b in IDX_FILES if b not in found]
    if not missing:
        return found
    if len(missing) == len(IDX_FILES):
        return "no IDX files"
    return "missing " + ", ".join(f"{m}[.gz]" for m in missing)


def _read(files: dict[str, Path], spec: IdxDataset) -> RawData:
    source = str(files[TRAIN_IMAGES].parent)
    return RawData(
        source=source,
        x=read_idx(files[TRAIN_IMAGES], ndim=3),
        y=read_idx(files[TRAIN_LABELS], ndim=1),
        x_test=read_idx(files[TEST_IMAGES], ndim=3),
        y_test=read_idx(files[TEST_LABELS], ndim=1),
        classes=list(spec.classes),
        layout="NHW",
    )


def load_idx_dataset(spec: IdxDataset, cfg: DatasetConfig) -> RawData:
    """Find, read (or download with torchvision) one IDX dataset.

    Args:
        spec: Which dataset.
        cfg: ``cfg.root`` overrides the search path.

    Returns:
        Train and official test arrays (uint8 ``[N, 28, 28]``) with class names.

    Raises:
        DataError: The files are not found and torchvision is not installed or the download
            fails; or a file is malformed.
    """
    found, looked = locate.search(
        locate.candidate_dirs(spec.name, cfg.root, spec.subdirs), idx_files
    )
    if found is not None:
        return _read(found, spec)
    tv = locate.import_torchvision()
    if tv is None:
        how = []
        if spec.apt_package:
            how.append(f"install the Debian package (sudo apt-get install {spec.apt_package})")
        how += [
            "put the four files in a directory and set dataset.root (or the SAFEDL_DATA "
            "environment variable) to it",
            "pip install torchvision (the 'vision' extra) to download them automatically",
        ]
        files = "the IDX files " + ", ".join(f"{b}[.gz]" for b in IDX_FILES)
        raise locate.not_found(spec.name, files, looked, how)
    dest = Path(cfg.root).expanduser() if cfg.root else locate.data_home()
    locate.download_with_torchvision(tv, spec.torchvision_class, spec.name, dest)
    raw_dir = dest / spec.torchvision_class / "raw"
    written = idx_files(raw_dir)
    if isinstance(written, str):
        raise locate.not_found(
            spec.name,
            "the IDX files torchvision should have written",
            [f"{raw_dir} ({written})"],
            ["check that the torchvision version stores raw IDX files under <root>/<Name>/raw"],
        )
    return _read(written, spec)


def load_fashion_mnist(cfg: DatasetConfig) -> RawData:
    """Fashion-MNIST (Xiao et al., 2017): 10 clothing classes, 28x28 grayscale."""
    return load_idx_dataset(FASHION_MNIST, cfg)


def load_mnist(cfg: DatasetConfig) -> RawData:
    """MNIST (LeCun et al., 1998): handwritten digits 0-9, 28x28 grayscale."""
    return load_idx_dataset(MNIST, cfg)


__all__ = [
    "FASHION_MNIST",
    "FASHION_MNIST_CLASSES",
    "IDX_FILES",
    "MNIST",
    "IdxDataset",
    "idx_files",
    "load_fashion_mnist",
    "load_idx_dataset",
    "load_mnist",
]
