"""Paired comparison of two models on the same examples: McNemar's test and the difference.

A defense is measured on the very examples the baseline was measured on, so whether it changed
robust (or clean) accuracy is a paired question: only the examples on which the two models
disagree (``b``: baseline right, defended wrong; ``c``: the reverse) carry information.

* **McNemar's exact test** — under "no difference", ``min(b, c)`` follows Binomial(b + c, ½);
  the two-sided p-value is ``min(1, 2 · P[X ≤ min(b, c)])``.
* **Difference** ``(c − b) / n`` (defended minus baseline) with a 95% Wald interval for paired
  proportions, ``var = (b + c − (c − b)² / n) / n²`` (Agresti, *Categorical Data Analysis*,
  §10.1), clipped to [−1, 1].
"""

from __future__ import annotations

import math
from typing import Any

import torch

from safedl.evaluation.metrics import Z95


def mcnemar_p(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value for ``b`` and ``c`` discordant pairs."""
    n = b + c
    if n == 0:
        return 1.0
    k = min(b, c)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2.0**n
    return min(1.0, 2.0 * tail)


def paired_difference(before: torch.Tensor, after: torch.Tensor) -> dict[str, Any]:
    """``after − before`` accuracy on the same examples, its 95% CI and McNemar's p-value.

    Args:
        before: ``[N]`` bool, the example was right (or withstood the attack) before.
        after: ``[N]`` bool, the same after.
    """
    if before.shape != after.shape:
        raise ValueError(
            f"paired masks differ in shape: {tuple(before.shape)} vs {tuple(after.shape)}"
        )
    n = int(before.numel())
    b = int((before & ~after).sum())
    c = int((~before & after).sum())
    if n == 0:
        return {"difference": 0.0, "low": -1.0, "high": 1.0, "b": 0, "c": 0, "n": 0, "p_value": 1.0}
    diff = (c - b) / n
    var = max(0.0, (b + c - (c - b) ** 2 / n) / n**2)
    half = Z95 * math.sqrt(var)
    p = mcnemar_p(b, c)
    return {
        "difference": diff,
        "low": max(-1.0, diff - half),
        "high": min(1.0, diff + half),
        "b": b,
        "c": c,
        "n": n,
        "p_value": p,
        "significant": p < 0.05,
    }


__all__ = ["mcnemar_p", "paired_difference"]
