"""``small_cnn``: a cheap convolutional classifier for small images.

Sized for 8x8 digits, 28x28 (Fashion-)MNIST and 32x32 CIFAR: one 3x3 convolution, ReLU and
(while the feature map stays at least 4 pixels wide after pooling) 2x2 max-pooling per block,
then a hidden fully connected layer and the class layer. With the defaults it reaches about 90%
on Fashion-MNIST in a few epochs and about 97% on digits on a CPU.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

from safedl.errors import ModelError


def _is_positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def small_cnn(
    input_shape: tuple[int, int, int],
    num_classes: int,
    channels: Sequence[int] = (32, 64),
    hidden: int = 128,
    dropout: float = 0.0,
) -> nn.Module:
    """Build the small CNN.

    Args:
        input_shape: ``(C, H, W)`` of one input image.
        num_classes: Number of output logits.
        channels: Output channels of each convolution block, one block per entry.
        hidden: Width of the hidden fully connected layer.
        dropout: Dropout probability before the class layer (0 disables it).

    Returns:
        An ``nn.Sequential`` mapping ``[B, C, H, W]`` to ``[B, num_classes]`` logits.

    Raises:
        ModelError: A parameter is out of range.
    """
    chans = list(channels) if isinstance(channels, (list, tuple)) else []
    if not chans or not all(_is_positive_int(c) for c in chans):
        raise ModelError(
            f"small_cnn: channels must be a non-empty list of positive integers, got {channels!r}"
        )
    if not _is_positive_int(hidden):
        raise ModelError(f"small_cnn: hidden must be a positive integer, got {hidden!r}")
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
        raise ModelError(f"small_cnn: dropout must be in [0, 1), got {dropout!r}")
    c, h, w = input_shape
    layers: list[nn.Module] = []
    for out in chans:
        layers += [nn.Conv2d(c, int(out), kernel_size=3, padding=1), nn.ReLU(inplace=True)]
        c = int(out)
        if min(h, w) // 2 >= 4:
            layers.append(nn.MaxPool2d(2))
            h, w = h // 2, w // 2
    layers += [nn.Flatten(), nn.Linear(c * h * w, int(hidden)), nn.ReLU(inplace=True)]
    if dropout > 0:
        layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(int(hidden), num_classes))
    return nn.Sequential(*layers)


__all__ = ["small_cnn"]
