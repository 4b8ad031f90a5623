"""One evasion unit: run the attack on the model under test and keep its per-example outcome.

The outcome artifact (``robust``: 1 where the example withstood the attack within its budget,
``x_adv``: the first few adversarial examples) is what worst case per budget, cascades and
paired tests across models are computed from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch

from safedl.attacks.evasion.base import BOUND_TOLERANCE, EvasionAttack
from safedl.errors import PluginError
from safedl.registry import ATTACKS

if TYPE_CHECKING:
    from safedl.assess.service import Unit


def run_evasion(unit: Unit, common: dict[str, Any]) -> dict[str, Any]:
    """The serialised :class:`~safedl.results.EvasionEntry` of one evasion unit."""
    attack = ATTACKS.create(unit.spec.name, unit.spec.params, seed=unit.settings.seed)
    if not isinstance(attack, EvasionAttack):
        raise PluginError(f"attack {unit.spec.name!r} is registered as evasion but is not one")
    target = unit.target
    if target.adapter is None and ATTACKS.get(unit.spec.name).access == "white-box":
        target.white_box()  # raises: a white-box attack needs the model itself
    data, bs = unit.data, unit.settings.batch_size
    result = attack.run(target.adapter, data, batch_size=bs, oracles=target.oracles)
    out: dict[str, Any] = {
        **common,
        **result.to_dict(),
        "family": "evasion",
        "status": "done",
        "minimum_norm": attack.minimum_norm,
    }
    if result.examples is not None:
        x_adv = result.examples
        robust = target.oracles(output="label", budget=None)(x_adv) == data.y
        if attack.minimum_norm:  # broken only within the budget
            delta = (x_adv - data.x).flatten(1)
            size = delta.abs().amax(1) if attack.config.norm == "linf" else delta.norm(dim=1)
            robust |= size > attack.config.eps + BOUND_TOLERANCE
        keep = unit.settings.keep_examples
        unit.settings.store.save_tensors(
            unit.key,
            {"x_adv": x_adv[:keep], "robust": robust.to(torch.uint8)},
            {"attack": unit.spec.name, "model": unit.target.name, "examples_kept": keep},
        )
        out["artifact"] = unit.key
    return out


__all__ = ["run_evasion"]
