"""The per-sample cascade: each attack runs only on the points every earlier attack missed.

A point counts as broken as soon as any attack breaks it within the budget, so the cascade
gives the worst-case robust accuracy over the attacks at the cost of running later (usually
more expensive) attacks on the few points still robust.

:func:`cascade` runs a list of attacks this way; :class:`CascadeAttack` is the composite
mechanism of the evasion base: a plugin that names its stages (:meth:`CascadeAttack.stages`)
is run as a cascade over the whole data set in ``prepare``, and each stage runs through its own
final :meth:`~safedl.attacks.evasion.base.EvasionAttack.examples` with a fresh per-call state.
"""

from __future__ import annotations

import time
from abc import abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

import torch

from safedl.attacks.evasion.base import BOUND_TOLERANCE, AttackRun, EvasionAttack
from safedl.data import TensorData
from safedl.models import ModelAdapter, OracleFactory


def _size(delta: torch.Tensor, norm: str) -> torch.Tensor:
    flat = delta.flatten(1)
    return flat.abs().amax(1) if norm == "linf" else flat.norm(dim=1)


def cascade(
    model: ModelAdapter,
    x: torch.Tensor,
    y: torch.Tensor,
    attacks: Sequence[EvasionAttack[Any]],
    *,
    batch_size: int = 256,
    oracles: OracleFactory | None = None,
) -> tuple[torch.Tensor, torch.Tensor, list[dict[str, Any]]]:
    """Run ``attacks`` in order on the points still robust.

    Args:
        model: The model under attack (white-box: the robust masks come from its predictions).
        x: ``[N, C, H, W]`` images in [0, 1].
        y: ``[N]`` true labels.
        attacks: The stages, in order.
        batch_size: Examples per batch of every stage.
        oracles: Where black-box stages get their Oracles; default the model's own.

    Returns:
        ``(x_adv, robust, steps)``: the adversarial examples (``x`` where nothing broke the
        point), the per-sample robust mask after all attacks, and per-attack bookkeeping
        (``attack``, ``ran_on``, ``broke``, ``seconds``, ``robust_after`` and the stage's own
        figures as ``stats``).
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
        out = attack.examples(model, x[idx], y[idx], batch_size=batch_size, oracles=oracles)
        adv = out.adversarial
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
                **({"stats": out.extra} if out.extra else {}),
            }
        )
    return x_adv, robust, steps


class CascadeAttack(EvasionAttack[ModelAdapter]):
    """A composite attack: its stages run as a per-sample cascade over the whole data set.

    A plugin implements :meth:`stages`; ``prepare`` runs the cascade once per call (each stage
    on the points every earlier one missed, in batches of the call's batch size) and
    ``perturb`` hands each batch its share. ``extra["cascade"]`` reports, per stage, how many
    points it ran on and broke, the points still robust after it, its time and its own figures.
    Untargeted only.
    """

    sealed: ClassVar[frozenset[str]] = EvasionAttack.sealed | {"prepare", "perturb"}

    @abstractmethod
    def stages(self) -> Sequence[EvasionAttack[Any]]:
        """The attacks of the cascade, in the order they run."""

    def prepare(self, access: ModelAdapter, data: TensorData, run: AttackRun) -> torch.Tensor:
        """Run the cascade on all of ``data``; the adversarial examples (CPU)."""
        x_adv, _, steps = cascade(
            access, data.x, data.y, self.stages(), batch_size=run.batch_size, oracles=run.oracles
        )
        run.stats["cascade"] = steps
        return x_adv

    def perturb(
        self,
        access: ModelAdapter,
        x: torch.Tensor,
        y: torch.Tensor,
        target: torch.Tensor | None,
        run: AttackRun,
    ) -> torch.Tensor:
        """The batch's rows of what :meth:`prepare` computed."""
        prepared: torch.Tensor = run.prepared
        return prepared[run.batch].to(x.device)


__all__ = ["CascadeAttack", "cascade"]
