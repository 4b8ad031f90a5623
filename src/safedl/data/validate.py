"""Validation shared by every source: layout, dtype, range, labels and classes.

Each problem raises :class:`~safedl.errors.DataError` naming the source, what is wrong and
how to fix it. Checks are vectorised; uint8 images need no range check (scaled by 1/255).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch

from safedl.data.images import ImageArray
from safedl.data.raw import Layout, RawData
from safedl.errors import DataError

CHANNELS = (1, 3, 4)
_TOLERANCE = 1e-6  # float rounding slack on [0, 1]; values within it are clipped


@dataclass(frozen=True, eq=False)
class CheckedData:
    """Validated data before splitting.

    Attributes:
        pool: All training data (train + val, plus test when there is no official test).
        test: The official test split, or ``None``.
        classes: Class names; labels index into it.
    """

    pool: ImageArray
    test: ImageArray | None
    classes: list[str]


def _to_numpy(value: Any, source: str, what: str) -> np.ndarray:
    """A numpy view of a tensor, array or array-like."""
    if isinstance(value, torch.Tensor):
        tensor = value.detach().cpu()
        if tensor.dtype in (torch.bfloat16, torch.float16):
            tensor = tensor.float()  # numpy has no bfloat16
        return tensor.numpy()
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as exc:
        raise DataError(
            f"{source}: {what} cannot be read as an array ({exc})",
            hint=f"give {what} as a numpy array or torch tensor of one shape",
        ) from exc
    return array


def _channels_first(array: np.ndarray, source: str, what: str, layout: Layout) -> np.ndarray:
    """Bring images to ``[N, C, H, W]`` (a view where possible)."""
    if layout == "NHW" or (layout == "auto" and array.ndim == 3):
        if array.ndim != 3:
            raise DataError(
                f"{source}: {what} must be [N, H, W]; got shape {array.shape}",
                hint="give one single-channel image per row along the first axis",
            )
        return array[:, None, :, :]
    if array.ndim != 4:
        raise DataError(
            f"{source}: {what} must be 3-D [N, H, W] or 4-D [N, C, H, W] / [N, H, W, C]; "
            f"got {array.ndim}-D shape {array.shape}",
            hint="reshape flat images to [N, H, W] (e.g. x.reshape(-1, 28, 28))"
            if array.ndim == 2
            else "give one image per row along the first axis",
        )
    if layout == "auto":
        layout = _guess_layout(array.shape)
        if layout == "auto":
            raise DataError(
                f"{source}: cannot tell the channel axis of {what} with shape {array.shape}",
                hint="give images as [N, H, W], [N, C, H, W] or [N, H, W, C] with C in 1, 3, 4",
            )
    return array.transpose(0, 3, 1, 2) if layout == "NHWC" else array


def _guess_layout(shape: tuple[int, ...]) -> Layout:
    """``NCHW`` or ``NHWC`` from a 4-D shape; ``auto`` when neither axis can be channels.

    A channel axis has 1, 3 or 4 entries. When both axes could be (tiny images such as
    ``[N, 4, 4, 3]``), the layout giving square images wins, and channels-first on a tie.
    """
    first, last = shape[1] in CHANNELS, shape[-1] in CHANNELS
    if first and last:
        square_first, square_last = shape[2] == shape[3], shape[1] == shape[2]
        return "NHWC" if square_last and not square_first else "NCHW"
    if first:
        return "NCHW"
    return "NHWC" if last else "auto"


def _images(value: Any, source: str, what: str, layout: Layout) -> ImageArray:
    """Validate images; return them as ``[N, C, H, W]`` in their source dtype (no copy).

    Labels are filled in by the caller; uint8 needs no value check (scaled by 1/255 later).
    """
    array = _to_numpy(value, source, what)
    if array.dtype != np.uint8 and not np.issubdtype(array.dtype, np.floating):
        raise DataError(
            f"{source}: {what} has dtype {array.dtype}; expected uint8 (0-255) or float in [0, 1]",
            hint="store 8-bit pixels as uint8, or scale to float in [0, 1] (e.g. x / 255)",
        )
    array = _channels_first(array, source, what, layout)
    if array.shape[0] == 0:
        raise DataError(f"{source}: {what} is empty (0 images)", hint="give at least one image")
    empty_labels = torch.zeros(array.shape[0], dtype=torch.int64)
    if array.dtype == np.uint8:
        return ImageArray(array, empty_labels)
    low, high = float(array.min()), float(array.max())  # NaN propagates; inf shows as such
    if not (np.isfinite(low) and np.isfinite(high)):
        per_image = np.isfinite(array).reshape(array.shape[0], -1).all(axis=1)
        bad = np.flatnonzero(~per_image)
        raise DataError(
            f"{source}: {what} has NaN or infinite values in {bad.size} image(s) "
            f"(first at index {int(bad[0])})",
            hint="remove or repair those images; values must be finite and in [0, 1]",
        )
    if low < -_TOLERANCE or high > 1.0 + _TOLERANCE:
        looks_8bit = high <= 255.0 and low >= 0.0
        raise DataError(
            f"{source}: {what} values must be in [0, 1]; got min {low:g}, max {high:g}",
            hint="these look like 0-255 pixel values: divide by 255 or store them as uint8"
            if looks_8bit
            else "scale images to [0, 1]; normalisation (mean/std) belongs in "
            "model.normalization, not in the data",
        )
    return ImageArray(array, empty_labels, clip=low < 0.0 or high > 1.0)


def _labels(value: Any, source: str, what: str, n: int) -> torch.Tensor:
    """Validate labels and return them as int64 ``[N]``."""
    array = _to_numpy(value, source, what)
    if not np.issubdtype(array.dtype, np.integer):
        raise DataError(
            f"{source}: {what} has dtype {array.dtype}; labels must be integers",
            hint=f"convert with {what}.astype('int64') (class indexes 0 .. K-1)",
        )
    if array.ndim != 1:
        hint = (
            f"flatten with {what}.reshape(-1)"
            if array.ndim == 2 and array.shape[-1] == 1
            else f"give one class index per sample; for one-hot labels use {what}.argmax(1)"
        )
        raise DataError(f"{source}: {what} must be 1-D; got shape {array.shape}", hint=hint)
    if array.shape[0] != n:
        images = "x_test" if what == "y_test" else "x"
        raise DataError(
            f"{source}: {images} has {n} images but {what} has {array.shape[0]} labels",
            hint=f"{images} and {what} must have the same length, one label per image",
        )
    if array.size and int(array.min()) < 0:
        raise DataError(
            f"{source}: {what} has negative label {int(array.min())}",
            hint="labels must be class indexes 0 .. K-1",
        )
    return torch.from_numpy(np.array(array, dtype=np.int64, copy=True))


def _class_names(value: Any, source: str, max_label: int) -> list[str]:
    """Class names from the source, or ``"0" .. str(max_label)``; checked against labels."""
    if value is None:
        return [str(i) for i in range(max_label + 1)]
    names = [str(c) for c in _to_numpy(value, source, "classes").reshape(-1).tolist()]
    if not names:
        raise DataError(f"{source}: classes is empty", hint="list one name per class")
    duplicates = sorted({c for c in names if names.count(c) > 1})
    if duplicates:
        raise DataError(
            f"{source}: duplicate class names {duplicates}", hint="class names must be unique"
        )
    if max_label >= len(names):
        raise DataError(
            f"{source}: label {max_label} is out of range for {len(names)} classes "
            f"(valid labels 0 .. {len(names) - 1})",
            hint="labels index into classes: fix the labels or add the missing class names",
        )
    return names


def check(raw: RawData) -> CheckedData:
    """Validate a source's arrays and convert them to tensors.

    Args:
        raw: What a source loader returned.

    Returns:
        The training pool, the official test split (if any) and the class names.

    Raises:
        DataError: Naming the source, the problem and the fix, when images are not 3-D/4-D,
            not uint8/float, not finite or outside [0, 1]; labels are not 1-D integers, do
            not match the images' length or fall outside the classes; a class has no
            training example; there are fewer than two classes; or a split is empty.
    """
    source = raw.source
    images = _images(raw.x, source, "x", raw.layout)
    y = _labels(raw.y, source, "y", len(images))
    pool = replace(images, y=y)
    test: ImageArray | None = None
    max_label = int(y.max())
    if raw.x_test is not None or raw.y_test is not None:
        test_images = _images(raw.x_test, source, "x_test", raw.layout)
        y_test = _labels(raw.y_test, source, "y_test", len(test_images))
        if test_images.x.shape[1:] != pool.x.shape[1:]:
            raise DataError(
                f"{source}: x_test images have shape {tuple(test_images.x.shape[1:])} but x "
                f"images have {tuple(pool.x.shape[1:])} (C, H, W)",
                hint="train and test images must have the same channels and size",
            )
        test = replace(test_images, y=y_test)
        max_label = max(max_label, int(y_test.max()))
    classes = _class_names(raw.classes, source, max_label)
    counts = torch.bincount(y, minlength=len(classes))
    empty = torch.nonzero(counts == 0).flatten().tolist()
    if empty:
        listed = ", ".join(f"{classes[i]!r} (label {i})" for i in empty[:5])
        more = f" and {len(empty) - 5} more" if len(empty) > 5 else ""
        raise DataError(
            f"{source}: class {listed}{more} has no training examples",
            hint="every class needs at least one training example: add examples, drop the "
            "class from classes, or renumber labels to 0 .. K-1 without gaps",
        )
    if len(classes) < 2:
        raise DataError(
            f"{source}: only one class ({classes[0]!r}); a classifier needs at least two",
            hint="check the labels, or add examples of other classes",
        )
    return CheckedData(pool=pool, test=test, classes=classes)


__all__ = ["CHANNELS", "CheckedData", "check"]
