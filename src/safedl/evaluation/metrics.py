"""Metrics as pure functions; every rate comes with its 95% Wilson score interval."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import torch

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Rate:
    """A proportion ``k / n`` with its 95% Wilson score interval."""

    value: float
    low: float
    high: float
    k: int
    n: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        return f"{100 * self.value:.1f}% [{100 * self.low:.1f}, {100 * self.high:.1f}]"


def wilson_interval(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for ``k`` successes out of ``n`` (``(0, 1)`` when ``n == 0``)."""
    if n < 0 or k < 0 or k > n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    if n == 0:
        return 0.0, 1.0
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return low, high


def rate(k: int, n: int) -> Rate:
    """``k / n`` as a :class:`Rate` (value 0 when ``n == 0``)."""
    low, high = wilson_interval(k, n)
    return Rate(k / n if n else 0.0, low, high, int(k), int(n))


def rate_of(mask: torch.Tensor) -> Rate:
    """The share of ``True`` in a boolean tensor."""
    return rate(int(mask.sum().item()), int(mask.numel()))


def norm_summary(delta: torch.Tensor) -> dict[str, dict[str, float]]:
    """Mean and median L0, L2 and L∞ norms of per-example perturbations ``delta``."""
    flat = delta.detach().flatten(1).float()
    if flat.shape[0] == 0:
        return {k: {"mean": 0.0, "median": 0.0} for k in ("l0", "l2", "linf")}
    norms = {
        "l0": (flat.abs() > 1e-12).float().sum(1),
        "l2": flat.norm(p=2, dim=1),
        "linf": flat.abs().amax(1),
    }
    return {
        k: {"mean": float(v.mean().item()), "median": float(v.median().item())}
        for k, v in norms.items()
    }
