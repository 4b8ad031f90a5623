"""In-memory datasets: :class:`TensorData` (one split) and :class:`DataSplits` (all three).

Both are frozen and hold CPU tensors only: images are float32 ``[N, C, H, W]`` in [0, 1] and
labels int64 ``[N]``. Their fingerprints (SHA-256 over shapes and bytes) are computed on first
use and cached, so artifacts derived from a dataset can be addressed by its content.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

import numpy as np
import torch

from safedl.errors import DataError


def _hash_tensor(h: hashlib._Hash, name: str, t: torch.Tensor) -> None:
    """Feed one tensor's name, dtype, shape and raw bytes into ``h`` (no copy if contiguous)."""
    array = t.detach().cpu().contiguous().numpy()
    h.update(f"{name}:{array.dtype.str}:{tuple(array.shape)}\n".encode())
    h.update(array.data)  # the buffer itself: no copy


@dataclass(frozen=True, eq=False)
class TensorData:
    """One split of a dataset, as tensors.

    Attributes:
        x: Images, float32 ``[N, C, H, W]`` with values in [0, 1], contiguous, on the CPU.
        y: Labels, int64 ``[N]``.

    Equality is identity (tensors have no single truth value); compare :meth:`fingerprint`
    to compare contents.
    """

    x: torch.Tensor
    y: torch.Tensor
    _fingerprint: str | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.x.dtype != torch.float32 or self.x.dim() != 4:
            raise DataError(
                f"TensorData.x must be float32 [N, C, H, W]; got {self.x.dtype} "
                f"{tuple(self.x.shape)}",
                hint="build TensorData through safedl.data.load_dataset or convert x first",
            )
        if self.y.dtype != torch.int64 or self.y.dim() != 1:
            raise DataError(
                f"TensorData.y must be int64 [N]; got {self.y.dtype} {tuple(self.y.shape)}",
                hint="convert labels with y.long()",
            )
        if self.x.shape[0] != self.y.shape[0]:
            raise DataError(
                f"TensorData has {self.x.shape[0]} images but {self.y.shape[0]} labels",
                hint="x and y must hold the same number of samples",
            )
        if self.x.device.type != "cpu" or self.y.device.type != "cpu":
            raise DataError(
                "TensorData must hold CPU tensors", hint="move tensors with .cpu() first"
            )
        if not self.x.is_contiguous():
            object.__setattr__(self, "x", self.x.contiguous())
        if not self.y.is_contiguous():
            object.__setattr__(self, "y", self.y.contiguous())

    def __len__(self) -> int:
        return int(self.y.shape[0])

    def __repr__(self) -> str:
        return f"TensorData(n={len(self)}, shape={tuple(self.x.shape[1:])})"

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """The shape of one image, ``(C, H, W)``."""
        c, h, w = self.x.shape[1:]
        return (int(c), int(h), int(w))

    def subset(self, index: torch.Tensor) -> TensorData:
        """The samples selected by ``index`` (integer indices or a boolean mask), copied.

        Args:
            index: A 1-D int64 index tensor or a boolean mask of length ``len(self)``.

        Returns:
            A new :class:`TensorData` holding copies of the selected samples, in index order.
        """
        if index.dtype == torch.bool:
            index = torch.nonzero(index).flatten()
        # Gather through numpy: its large allocations use huge pages (several times faster
        # than torch's for a first touch of fresh memory); both arrays are new copies.
        positions = index.detach().cpu().numpy()
        x = np.take(self.x.numpy(), positions, axis=0)
        y = np.take(self.y.numpy(), positions, axis=0)
        return TensorData(torch.from_numpy(x), torch.from_numpy(y))

    def fingerprint(self) -> str:
        """SHA-256 hex digest of shapes, dtypes and bytes of ``x`` and ``y``; cached."""
        digest = self._fingerprint
        if digest is None:
            h = hashlib.sha256()
            _hash_tensor(h, "x", self.x)
            _hash_tensor(h, "y", self.y)
            digest = h.hexdigest()
            object.__setattr__(self, "_fingerprint", digest)
        return digest


@dataclass(frozen=True, eq=False)
class DataSplits:
    """A dataset split into train, validation and test sets.

    Attributes:
        name: The dataset name or spec it was loaded from (``DatasetConfig.name``).
        train: Training samples.
        val: Validation samples carved from the training data; empty when
            ``val_fraction == 0``.
        test: Test samples: the official test split when the source has one, otherwise a
            stratified share of the data (``test_fraction``).
        classes: Class names; label ``i`` means ``classes[i]``.
    """

    name: str
    train: TensorData
    val: TensorData
    test: TensorData
    classes: list[str]
    _fingerprint: str | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        shapes = {s.input_shape for s in (self.train, self.val, self.test)}
        if len(shapes) != 1:
            raise DataError(
                f"dataset {self.name!r}: splits have different image shapes {sorted(shapes)}",
                hint="every split must hold images of one shape (C, H, W)",
            )

    def __repr__(self) -> str:
        return (
            f"DataSplits(name={self.name!r}, train={len(self.train)}, val={len(self.val)}, "
            f"test={len(self.test)}, input_shape={self.input_shape}, "
            f"num_classes={self.num_classes})"
        )

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """The shape of one image, ``(C, H, W)``."""
        return self.train.input_shape

    @property
    def num_classes(self) -> int:
        """The number of classes (``len(classes)``)."""
        return len(self.classes)

    def fingerprint(self) -> str:
        """SHA-256 hex digest over the three splits' fingerprints and the class names; cached."""
        digest = self._fingerprint
        if digest is None:
            payload = {
                "train": self.train.fingerprint(),
                "val": self.val.fingerprint(),
                "test": self.test.fingerprint(),
                "classes": list(self.classes),
            }
            digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
            object.__setattr__(self, "_fingerprint", digest)
        return digest


__all__ = ["DataSplits", "TensorData"]
