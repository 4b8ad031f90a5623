"""What membership attacks read from a model's answer, and the augmented views they query.

* :func:`true_class_prob` — the confidence ``p_y`` in the true class;
* :func:`true_class_logprob` — ``log p_y`` (minus the cross-entropy loss), precise near 1;
* :func:`scaled_logit` — LiRA's logit scaling ``log(p_y / (1 - p_y))``, computed as
  ``log p_y - log Σ_{j≠y} p_j`` so that confident answers do not cancel to ``log(0)``;
* :func:`views` — deterministic augmentations (pixel shifts, small rotations) of a batch, the
  same for the target and every shadow, as in LiRA's and the label-only attack's queries.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import Tensor
from torch.nn import functional as F

#: Smallest probability a signal is computed from (float64 logs of exact zeros are -inf).
EPS = 1e-30


def true_class_prob(probs: Tensor, y: Tensor) -> Tensor:
    """``[..., N]`` probability of the true class from ``[..., N, K]`` probabilities."""
    index = y.to(probs.device).long().expand(probs.shape[:-1]).unsqueeze(-1)
    return probs.gather(-1, index).squeeze(-1)


def others_sum(probs: Tensor, y: Tensor) -> Tensor:
    """``Σ_{j≠y} p_j``, summed directly (``1 - p_y`` cancels to 0 for a confident answer)."""
    index = y.to(probs.device).long().expand(probs.shape[:-1]).unsqueeze(-1)
    return probs.scatter(-1, index, 0.0).sum(-1)


def true_class_logprob(probs: Tensor, y: Tensor) -> Tensor:
    """``log p_y`` in float64, as ``log1p(-Σ_{j≠y} p_j)`` when ``p_y`` is close to 1.

    A float32 answer rounds ``p_y`` of a confident model to exactly 1.0 (loss 0) while the
    other entries keep their small values; summing them keeps the loss apart.
    """
    p = probs.double()
    py = true_class_prob(p, y)
    rest = others_sum(p, y)
    precise = torch.log1p(-rest.clamp_max(0.5))
    return torch.where(rest < 0.5, precise, torch.log(py.clamp_min(EPS)))


def scaled_logit(probs: Tensor, y: Tensor) -> Tensor:
    """LiRA's logit-scaled confidence ``log p_y - log(Σ_{j≠y} p_j)`` in float64."""
    p = probs.double()
    py = true_class_prob(p, y)
    rest = others_sum(p, y)
    return torch.log(py.clamp_min(EPS)) - torch.log(rest.clamp_min(EPS))


def shift_offsets(shift: int) -> list[tuple[int, int]]:
    """All pixel offsets ``(dy, dx)`` with ``|dy|, |dx| <= shift``, the identity first."""
    offsets = [(dy, dx) for dy in range(-shift, shift + 1) for dx in range(-shift, shift + 1)]
    offsets.remove((0, 0))
    return [(0, 0), *offsets]


def _shifted(x: Tensor, dy: int, dx: int) -> Tensor:
    if dy == 0 and dx == 0:
        return x
    p = max(abs(dy), abs(dx))
    padded = F.pad(x, (p, p, p, p), mode="replicate")
    h, w = x.shape[-2:]
    return padded[..., p - dy : p - dy + h, p - dx : p - dx + w]


def _rotated(x: Tensor, degrees: float) -> Tensor:
    if degrees == 0:
        return x
    a = math.radians(degrees)
    theta = torch.tensor(
        [[math.cos(a), -math.sin(a), 0.0], [math.sin(a), math.cos(a), 0.0]],
        dtype=x.dtype,
        device=x.device,
    ).expand(len(x), 2, 3)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, padding_mode="border", align_corners=False)


def views(x: Tensor, shift: int = 0, rotations: Sequence[float] = ()) -> Tensor:
    """``[V, N, C, H, W]`` augmented views of ``x``: the identity first, then every pixel shift
    up to ``shift`` (edges replicated), then every rotation in degrees (border padding)."""
    out = [_shifted(x, dy, dx) for dy, dx in shift_offsets(shift)]
    out += [_rotated(x, float(r)) for r in rotations if r != 0]
    return torch.stack(out)


def answer_views(
    answer: Callable[[Tensor], Tensor], x: Tensor, shift: int = 0, rotations: Sequence[float] = ()
) -> Tensor:
    """Answers of ``answer`` (an Oracle or a model's ``predict_proba``) on all views at once.

    Returns:
        ``[V, N, ...]``: the answers, one slice per view (a single call of ``answer`` on
        ``V * N`` images, so an Oracle counts every view as a query).
    """
    v = views(x, shift, rotations)
    flat = answer(v.reshape(-1, *x.shape[1:]))
    return flat.reshape(v.shape[0], len(x), *flat.shape[1:])


__all__ = [
    "EPS",
    "answer_views",
    "others_sum",
    "scaled_logit",
    "shift_offsets",
    "true_class_logprob",
    "true_class_prob",
    "views",
]
