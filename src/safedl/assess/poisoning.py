"""One poisoning or backdoor unit: poison the training set, train a victim like the model.

The victim is trained with the model under test's recipe (architecture, training settings,
seed) on the poisoned set and compared with the model itself, which is never retrained. The
poisoned set and the victim are artifacts of the store, keyed by content hash.
"""

from __future__ import annotations

from typing import Any

from safedl.assess.units import Unit
from safedl.attacks.poisoning import PoisoningAttack, evaluate_poisoning
from safedl.errors import ConfigError, PluginError
from safedl.registry import ATTACKS

FROM_WEIGHTS_NOTE = (
    "the model came from weights; the victim was trained from scratch with the profile's "
    "training settings, so the accuracy drop also reflects that difference"
)


def run_poisoning(unit: Unit, common: dict[str, Any]) -> dict[str, Any]:
    """The serialised :class:`~safedl.results.PoisoningEntry` of one poisoning unit."""
    attack = ATTACKS.create(unit.spec.name, unit.spec.params, seed=unit.settings.seed)
    if not isinstance(attack, PoisoningAttack):
        raise PluginError(f"attack {unit.spec.name!r} is registered as poisoning but is not one")
    recipe = unit.target.recipe
    if recipe is None:
        raise ConfigError(
            f"{unit.spec.name} trains a victim like the model under test, but how "
            f"{unit.target.name!r} was trained is not known",
            hint="give the model's training recipe (a profile, or safedl attack without "
            "--weights so the model is trained here)",
        )
    result = evaluate_poisoning(
        attack,
        train=recipe.train,
        val=recipe.val,
        test=recipe.test,
        baseline=unit.target.white_box(),
        victim_factory=recipe.new_model,
        training=recipe.training,
        store=unit.settings.store,
        seed=unit.settings.seed,
        model_spec=recipe.model_spec,
        classes=recipe.classes,
        baseline_accuracy=recipe.test_accuracy,
        batch_size=unit.settings.batch_size,
    )
    out: dict[str, Any] = {**common, **result.to_dict(), "status": "done"}
    if recipe.from_weights:
        out["note"] = FROM_WEIGHTS_NOTE
    return out


__all__ = ["run_poisoning"]
