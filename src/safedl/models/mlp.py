"""``mlp``: a fully connected classifier (flatten, hidden ReLU layers, class layer)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from torch import nn

from safedl.errors import ModelError


def mlp(
    input_shape: tuple[int, int, int],
    num_classes: int,
    hidden: Sequence[int] = (256, 128),
) -> nn.Module:
    """Build a multi-layer perceptron.

    Args:
        input_shape: ``(C, H, W)`` of one input image.
        num_classes: Number of output logits.
        hidden: Widths of the hidden layers, in order; empty gives a linear classifier.

    Returns:
        An ``nn.Sequential`` mapping ``[B, C, H, W]`` to ``[B, num_classes]`` logits.

    Raises:
        ModelError: A hidden width is not a positive integer.
    """
    raw: list[object] = list(hidden) if isinstance(hidden, (list, tuple)) else [hidden]
    widths = [h for h in raw if isinstance(h, int) and not isinstance(h, bool) and h >= 1]
    if len(widths) != len(raw):
        raise ModelError(f"mlp: hidden must be a list of positive integers, got {hidden!r}")
    layers: list[nn.Module] = [nn.Flatten()]
    width = math.prod(input_shape)
    for h in widths:
        layers += [nn.Linear(width, h), nn.ReLU(inplace=True)]
        width = h
    layers.append(nn.Linear(width, num_classes))
    return nn.Sequential(*layers)


__all__ = ["mlp"]
