"""Privacy and extraction units: membership inference, inversion and stealing of the model.

The model under test's recipe gives the data: members are a seeded sample of its training set,
non-members an equal sample of its test split, and the population (shadow and reference
models' data) the validation split plus the rest of the test split — disjoint from what the
model trained on. A thief's query pool is the validation split and one half of the test split;
fidelity and accuracy are measured on the other half. Queries go through the model under
test's Oracle factory, so an output defense or an endpoint behind it is what the attack meets.
"""

from __future__ import annotations

from typing import Any

import torch

from safedl.assess.units import Unit
from safedl.attacks.extraction.run import run_extraction_attack
from safedl.attacks.extraction.target import ExtractionTarget
from safedl.attacks.privacy.run import run_privacy_attack
from safedl.attacks.privacy.target import PrivacyTarget
from safedl.data import TensorData
from safedl.errors import ConfigError

#: Members (and as many non-members) sampled for membership inference.
MEMBERS = 500


def _concat(*parts: TensorData) -> TensorData:
    return TensorData(torch.cat([p.x for p in parts]), torch.cat([p.y for p in parts]))


def _recipe(unit: Unit) -> Any:
    recipe = unit.target.recipe
    if recipe is None:
        raise ConfigError(
            f"{unit.spec.name} needs to know how {unit.target.name!r} was trained (its "
            "training data and recipe)",
            hint="run it through a profile, or safedl attack without --weights",
        )
    return recipe


def run_privacy(unit: Unit, common: dict[str, Any]) -> dict[str, Any]:
    """The serialised :class:`~safedl.results.PrivacyEntry` of one privacy unit."""
    recipe = _recipe(unit)
    gen = torch.Generator().manual_seed(unit.settings.seed)
    test = recipe.test
    m = min(MEMBERS, len(test) // 2, len(recipe.train))
    train_idx = torch.randperm(len(recipe.train), generator=gen)[:m]
    test_idx = torch.randperm(len(test), generator=gen)
    parts = [test.subset(test_idx[m:])]
    if recipe.val is not None and len(recipe.val):
        parts.insert(0, recipe.val)
    target = PrivacyTarget(
        members=recipe.train.subset(train_idx),
        non_members=test.subset(test_idx[:m]),
        population=_concat(*parts),
        new_model=recipe.new_model,
        training=recipe.training,
        model_spec=recipe.model_spec,
        store=unit.settings.store,
        seed=unit.settings.seed,
        val=recipe.val,
        train_size=len(recipe.train),
        classes=recipe.classes,
        target_id=unit.target.model_id,
    )
    result = run_privacy_attack(
        unit.spec.name, unit.target.oracles, target, params=unit.spec.params
    )
    out = result.to_dict()
    out.pop("images", None)
    status = out.get("status", "done")
    return {
        **common,
        **out,
        "family": "privacy",
        "status": status if status in ("done", "not_applicable") else "unavailable",
    }


def run_extraction(unit: Unit, common: dict[str, Any]) -> dict[str, Any]:
    """The serialised :class:`~safedl.results.ExtractionEntry` of one extraction unit."""
    recipe = _recipe(unit)
    test = recipe.test
    half = len(test) // 2
    pool = (
        _concat(recipe.val, test.subset(torch.arange(half)))
        if recipe.val is not None
        else test.subset(torch.arange(half))
    )
    target = ExtractionTarget(
        query_pool=pool,
        test=test.subset(torch.arange(half, len(test))),
        new_model=recipe.new_model,
        training=recipe.training,
        model_spec=recipe.model_spec,
        store=unit.settings.store,
        seed=unit.settings.seed,
        target_id=unit.target.model_id,
        classes=recipe.classes,
    )
    result = run_extraction_attack(
        unit.spec.name, unit.target.oracles, target, params=unit.spec.params
    )
    out = result.to_dict()
    status = out.get("status", "done")
    return {
        **common,
        **out,
        "family": "extraction",
        "status": status if status in ("done", "not_applicable") else "unavailable",
    }


__all__ = ["run_extraction", "run_privacy"]
