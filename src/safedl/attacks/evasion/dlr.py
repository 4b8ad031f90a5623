"""The Difference of Logits Ratio (DLR) loss of Croce & Hein (ICML 2020), used by APGD-DLR.

DLR is invariant to shifting and (positively) rescaling the logits, so it is not fooled by a
model whose softmax saturates, as cross-entropy is. Both functions return one value per example,
to be *maximised* by the attacker: positive values mean the example is misclassified (untargeted)
or classified as the target (targeted).
"""

from __future__ import annotations

import torch

_TINY = 1e-12


def dlr_loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Untargeted DLR: ``-(z_y - max_{i≠y} z_i) / (z_π1 - z_π3)``; needs at least 3 classes.

    Args:
        logits: ``[N, K]`` logits, ``K >= 3``.
        y: ``[N]`` true labels.

    Returns:
        ``[N]`` losses.
    """
    ordered, order = logits.sort(dim=1, descending=True)
    z_y = logits.gather(1, y[:, None]).squeeze(1)
    top_is_y = order[:, 0] == y
    other = torch.where(top_is_y, ordered[:, 1], ordered[:, 0])
    return -(z_y - other) / (ordered[:, 0] - ordered[:, 2] + _TINY)


def targeted_dlr_loss(logits: torch.Tensor, y: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Targeted DLR: ``-(z_y - z_t) / (z_π1 - (z_π3 + z_π4) / 2)``; needs at least 4 classes.

    Args:
        logits: ``[N, K]`` logits, ``K >= 4``.
        y: ``[N]`` true labels.
        target: ``[N]`` target classes.

    Returns:
        ``[N]`` losses.
    """
    ordered = logits.sort(dim=1, descending=True).values
    z_y = logits.gather(1, y[:, None]).squeeze(1)
    z_t = logits.gather(1, target[:, None]).squeeze(1)
    return -(z_y - z_t) / (ordered[:, 0] - 0.5 * (ordered[:, 2] + ordered[:, 3]) + _TINY)


__all__ = ["dlr_loss", "targeted_dlr_loss"]
