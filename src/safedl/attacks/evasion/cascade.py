"""The per-sample cascade: each attack runs only on the points every earlier attack missed.

A point counts as broken as soon as any attack breaks it within the budget, so the cascade
gives the worst-case robust accuracy over the attacks at the cost of running later (usually
more expensive) attacks on the few points still robust.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import torch

from safedl.attacks.evasion.base import BOUND_TOLERANCE, EvasionAttack
from safedl.models import ModelAdapter


def _size(delta: torch.Tensor, norm: str) -> torch.Tensor:
    flat = delta.flatten(1)
    return flat.abs().amax(1) if norm == "linf" else flat.norm(dim=1)


def cascade(
    model: ModelAdapter,
    x: torch.Tensor,
    y: torch.Tensor,
    attacks: Sequence[EvasionAttack],
    *,
    batch_size: int = 256,
) -> tuple[torch.Tensor, torch.Tensor, list[dict[str, Any]]]:
    """Run ``attacks`` in order on the points still robust.

    Returns:
        ``(x_adv, robust, steps)``: the adversarial examples (``x`` where nothing broke the
        point), the per-sample robust mask after all attacks, and per-attack bookkeeping.
    """
    x_adv = x.clone()
    robust = model.predict(x, batch_size=batch_size) == y
    steps: list[dict[str, Any]] = []
    for attack in attacks:
        name = type(attack).plugin_name
        idx = robust.nonzero().squeeze(1)
        if len(idx) == 0:
            steps.append(
                {"attack": name, "ran_on": 0, "broke": 0, "seconds": 0.0, "robust_after": 0}
            )
            continue
        start = time.perf_counter()
        attack.reset_stats()
        adv, _ = attack.generate(model, x[idx], y[idx], batch_size)
        still = model.predict(adv, batch_size=batch_size) == y[idx]
        if attack.minimum_norm:  # broken only within the budget
            still |= _size(adv - x[idx], attack.config.norm) > attack.config.eps + BOUND_TOLERANCE
        broken = idx[~still]
        x_adv[broken] = adv[~still]
        robust[broken] = False
        steps.append(
            {
                "attack": name,
                "ran_on": len(idx),
                "broke": len(broken),
                "seconds": time.perf_counter() - start,
                "robust_after": int(robust.sum().item()),
                **({"stats": attack.stats()} if attack.stats() else {}),
            }
        )
    return x_adv, robust, steps
