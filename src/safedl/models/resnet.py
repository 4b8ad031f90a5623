"""``resnet18``: the CIFAR-style ResNet-18 of He et al. (2016), "Deep Residual Learning".

A 3x3 stem without max-pooling, four stages of two BasicBlocks each (widths ``w, 2w, 4w, 8w``
with ``w = 64`` by default, strides 1, 2, 2, 2) and global average pooling, so it works for any
number of input channels and any image size of 8 pixels or more.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from safedl.errors import ModelError


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with batch norm and an identity (or 1x1 projection) shortcut."""

    def __init__(self, in_ch: int, out_ch: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_ch)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_ch)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or in_ch != out_ch:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_ch, out_ch, 1, stride=stride, bias=False), nn.BatchNorm2d(out_ch)
            )

    def forward(self, x: Tensor) -> Tensor:
        """Apply the block to a ``[B, C, H, W]`` batch."""
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return torch.relu(out + self.shortcut(x))


class ResNet(nn.Module):
    """A CIFAR-style ResNet built from :class:`BasicBlock` stages."""

    def __init__(
        self, in_channels: int, num_classes: int, blocks: list[int], width: int = 64
    ) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, width, 3, padding=1, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(inplace=True),
        )
        stages: list[nn.Module] = []
        in_ch = width
        for i, n in enumerate(blocks):
            out_ch = width * 2**i
            stride = 1 if i == 0 else 2
            for j in range(n):
                stages.append(BasicBlock(in_ch, out_ch, stride if j == 0 else 1))
                in_ch = out_ch
        self.layers = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(in_ch, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        """Map a ``[B, C, H, W]`` batch to ``[B, num_classes]`` logits."""
        out = self.layers(self.stem(x))
        return self.fc(torch.flatten(self.pool(out), 1))


def resnet18(input_shape: tuple[int, int, int], num_classes: int, width: int = 64) -> nn.Module:
    """Build a CIFAR-style ResNet-18.

    Args:
        input_shape: ``(C, H, W)`` of one input image; ``H`` and ``W`` should be at least 8.
        num_classes: Number of output logits.
        width: Channels of the first stage (64 in the paper); smaller values make it cheaper.

    Returns:
        The network (about 11.2 M parameters at width 64 with 10 classes).

    Raises:
        ModelError: ``width`` is not a positive integer.
    """
    if not isinstance(width, int) or isinstance(width, bool) or width < 1:
        raise ModelError(f"resnet18: width must be a positive integer, got {width!r}")
    return ResNet(input_shape[0], num_classes, [2, 2, 2, 2], width=int(width))


__all__ = ["BasicBlock", "ResNet", "resnet18"]
