"""Validated images kept in their source dtype until a split is taken from them.

Converting 60,000 uint8 images to float32 touches 188 MB of fresh memory; on small VMs the
page faults of a first touch cost more than the arithmetic. So the training pool stays uint8
(4x smaller) while it is split, and each split is gathered and scaled straight into its own
float32 array: every float byte is written once, where it is kept. Large arrays are allocated
by numpy, which asks for transparent huge pages (far fewer faults than a torch allocation).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from safedl.data.dataset import TensorData


@dataclass(frozen=True, eq=False)
class ImageArray:
    """Images ``[N, C, H, W]`` (uint8, or float already checked to lie in [0, 1]) and labels.

    Attributes:
        x: uint8 images (scaled by 1/255 when taken) or floating images in [0, 1] up to a
            rounding tolerance (clipped when taken). May be a strided view.
        y: int64 labels ``[N]``.
        clip: Whether float values slightly outside [0, 1] need clipping.
    """

    x: np.ndarray
    y: torch.Tensor
    clip: bool = False

    def __len__(self) -> int:
        return int(self.y.shape[0])

    def take(self, index: torch.Tensor | None = None) -> TensorData:
        """Gather the samples at ``index`` (all when ``None``) as a float32 :class:`TensorData`.

        Args:
            index: int64 indices into the samples, or ``None`` for every sample in order.

        Returns:
            A new :class:`TensorData` that shares no memory with this array.
        """
        if index is None:
            part = self.x
            labels = self.y.clone()
        else:
            positions = index.detach().cpu().numpy()
            part = np.take(self.x, positions, axis=0)
            labels = torch.from_numpy(np.take(self.y.numpy(), positions, axis=0))
        if part.dtype == np.float32 and part is not self.x and part.flags.c_contiguous:
            out = part  # np.take already made a fresh float32 copy
        else:
            out = np.empty(part.shape, dtype=np.float32)
            if part.dtype == np.uint8:
                np.divide(part, np.float32(255.0), out=out)
            else:
                out[...] = part
        if self.clip:
            np.clip(out, 0.0, 1.0, out=out)
        return TensorData(torch.from_numpy(out), labels)


__all__ = ["ImageArray"]
