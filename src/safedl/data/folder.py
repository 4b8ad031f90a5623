"""``folder:PATH``: images in one sub-folder per class, like torchvision's ``ImageFolder``.

::

    PATH/
      cat/  001.png  002.jpg ...
      dog/  ...

Class names are the sub-folder names, sorted; hidden entries (``.name``) are skipped, and so
are files that are not images. Images are read with Pillow and converted to RGB (or to one
channel with ``dataset.grayscale``); ``dataset.image_size`` resizes them to a square. Without
it every image must have the same size. There is no official test split.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from safedl.config.profile import DatasetConfig
from safedl.data.raw import RawData, resolve_path
from safedl.errors import DataError

log = logging.getLogger(__name__)

IMAGE_EXTENSIONS = frozenset(
    {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".ppm", ".pgm", ".tif", ".tiff", ".webp"}
)


def _visible(path: Path, top: Path) -> bool:
    return not any(part.startswith(".") for part in path.relative_to(top).parts)


def class_images(root: Path) -> tuple[list[str], list[list[Path]]]:
    """The class folders of ``root`` (sorted) and each one's image files (sorted, recursive).

    Raises:
        DataError: ``root`` has no class sub-folders, or a class folder holds no images.
    """
    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not classes:
        raise DataError(
            f"{root}: no class sub-folders",
            hint="put the images of each class in its own sub-folder: PATH/<class>/<image>",
        )
    files: list[list[Path]] = []
    for name in classes:
        folder = root / name
        images = sorted(
            p
            for p in folder.rglob("*")
            if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file() and _visible(p, folder)
        )
        if not images:
            raise DataError(
                f"{folder}: class {name!r} has no images "
                f"({', '.join(sorted(e.lstrip('.') for e in IMAGE_EXTENSIONS))})",
                hint="add images to the folder or remove it",
            )
        files.append(images)
    return classes, files


def _read_image(path: Path, mode: str, size: int | None) -> np.ndarray:
    """One image as a uint8 array ``[H, W]`` (mode L) or ``[H, W, 3]`` (RGB)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            converted = image.convert(mode)
            if size is not None and converted.size != (size, size):
                converted = converted.resize((size, size), Image.Resampling.BILINEAR)
            return np.asarray(converted, dtype=np.uint8)
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError, SyntaxError) as exc:
        raise DataError(
            f"{path}: cannot read image ({exc})",
            hint="remove or replace the damaged file",
        ) from exc


def load_folder(path_spec: str, cfg: DatasetConfig) -> RawData:
    """Read a folder of class sub-folders of images.

    Args:
        path_spec: The path after ``folder:``; relative paths are taken relative to
            ``dataset.root`` when it is set.
        cfg: ``image_size`` and ``grayscale``.

    Returns:
        uint8 images ``[N, H, W, C]`` (C = 3, or 1 with ``grayscale``), labels and classes.

    Raises:
        DataError: The folder is missing or has no class folders, a class has no images, an
            image cannot be read, or images differ in size and ``dataset.image_size`` is unset.
    """
    root = resolve_path(path_spec, cfg.root)
    if not root.is_dir():
        raise DataError(
            f"{root}: no such folder",
            hint="check the path in dataset.name ('folder:PATH'); relative paths are relative "
            "to dataset.root when set, else to the working directory",
        )
    classes, files = class_images(root)
    mode = "L" if cfg.grayscale else "RGB"
    images: list[np.ndarray] = []
    labels: list[int] = []
    first: Path | None = None
    for label, paths in enumerate(files):
        for path in paths:
            array = _read_image(path, mode, cfg.image_size)
            if first is None:
                first = path
            elif array.shape != images[0].shape:
                raise DataError(
                    f"{root}: images differ in size: {first} is "
                    f"{images[0].shape[1]}x{images[0].shape[0]} but {path} is "
                    f"{array.shape[1]}x{array.shape[0]}",
                    hint="set dataset.image_size to resize every image to one square size",
                )
            images.append(array)
            labels.append(label)
    log.info("read %d images of %d classes from %s", len(images), len(classes), root)
    x = np.stack(images)
    if x.ndim == 3:
        x = x[..., None]
    return RawData(
        source=str(root),
        x=x,
        y=np.asarray(labels, dtype=np.int64),
        classes=classes,
        layout="NHWC",
    )


__all__ = ["IMAGE_EXTENSIONS", "class_images", "load_folder"]
