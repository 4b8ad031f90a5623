"""The poisoned victim a poisoning defense is measured on: poisoned set + model, from the store.

:func:`poisoned_victim` crafts the poisoned set through the attack plugin (or reuses the one
stored under its content key — the same key :func:`safedl.attacks.poisoning.evaluate_poisoning`
uses, so the attack stage's artifacts serve the defense stage) and trains the victim through
the one training loop (:func:`~safedl.attacks.poisoning.victim.train_victim`, same spec as the
attack stage, so a stored victim is never retrained). With no attack it returns the clean
model on the clean training set (the false-positive side of a defense).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from safedl.assess.standalone import Standalone
from safedl.attacks.backdoor.base import BackdoorAttack
from safedl.attacks.poisoning import PoisonedSet, PoisoningAttack
from safedl.attacks.poisoning.artifacts import load_poisoned_set, poison_key, save_poisoned_set
from safedl.attacks.poisoning.victim import train_victim
from safedl.config.profile import TrainingConfig
from safedl.data import DataSplits
from safedl.defenses.base import DefenseContext
from safedl.errors import ConfigError, PluginError
from safedl.models import ModelAdapter, model_fingerprint
from safedl.models.identity import weights_fingerprint
from safedl.registry import ATTACKS
from safedl.store import ArtifactStore
from safedl.training import train_or_load


@dataclass
class CleanRecipe:
    """How the model under test is trained: what a victim and a defense retrain with.

    Attributes:
        splits: Clean train / validation / test data.
        new_model: Builds a fresh, identically initialised model (no weights).
        training: The baseline's training settings.
        model_spec: JSON description of the architecture (part of every content key).
        store: Artifact store (poisoned sets, victims, defended artifacts).
        seed: Seed of the poisoning, the training and the defense.
        baseline: The clean model trained on ``splits.train`` (needed by clean-label attacks
            and by victims fine-tuned from it); trained through the cache when ``None``.
        batch_size: Inference batch size.
        baseline_train_seconds: The clean model's training time, when known.
    """

    splits: DataSplits
    new_model: Callable[[], ModelAdapter]
    training: TrainingConfig
    model_spec: dict[str, Any]
    store: ArtifactStore
    seed: int = 0
    baseline: ModelAdapter | None = None
    batch_size: int = 256
    baseline_train_seconds: float | None = None

    def clean_model(self) -> ModelAdapter:
        """The clean baseline (trained, or loaded from the store, on first use)."""
        if self.baseline is None:
            model = self.new_model()
            _, meta, _ = train_or_load(
                self.store,
                model,
                self.splits.train,
                self.splits.val,
                self.training,
                seed=self.seed,
                spec={"model": self.model_spec, "role": "baseline"},
                description="training the clean baseline",
            )
            self.baseline = model
            self.baseline_train_seconds = meta["training"]["seconds"]
        return self.baseline


@dataclass
class Victim:
    """A poisoned training set and the model trained on it (or the clean pair, no attack)."""

    attack: PoisoningAttack | None
    poisoned: PoisonedSet
    model: ModelAdapter
    poison_artifact: str | None
    victim_artifact: str | None
    train_seconds: float | None
    reused: bool

    @property
    def backdoor(self) -> BackdoorAttack | None:
        """The attack when it is a backdoor with a trigger, else ``None``."""
        a = self.attack
        return a if isinstance(a, BackdoorAttack) and self.poisoned.trigger else None


def poisoned_victim(
    attack: str | None, params: dict[str, Any] | None, recipe: CleanRecipe
) -> Victim:
    """Poison the training set and train the victim, reusing whatever the store holds.

    Raises:
        ConfigError: ``attack`` is not a poisoning or backdoor attack, or its params are bad.
    """
    splits, store, seed = recipe.splits, recipe.store, recipe.seed
    if attack is None:
        model = recipe.clean_model()
        empty = PoisonedSet(splits.train, torch.zeros(0, dtype=torch.long))
        return Victim(None, empty, model, None, None, recipe.baseline_train_seconds, True)
    info = ATTACKS.get(attack)
    if info.family not in ("poisoning", "backdoor"):
        raise ConfigError(
            f"attack {attack!r} is a {info.family} attack; a poisoning defense is measured "
            "against a poisoning or backdoor attack",
            hint="name one of: badnets, blend, wanet, label_flip, ... (safedl attacks list)",
        )
    plugin = ATTACKS.create(attack, params or {}, seed=seed)
    if not isinstance(plugin, PoisoningAttack):
        raise PluginError(f"attack {attack!r} is registered as poisoning but is not one")
    needs_clean = plugin.needs_clean_model or plugin.config.victim_training != "scratch"
    clean: ModelAdapter | None = recipe.clean_model() if needs_clean else recipe.baseline
    key = poison_key(plugin, splits.train, seed=seed, clean_model=clean, test=splits.test)
    if store.has(key):
        poisoned = load_poisoned_set(store, key, splits.train)
    else:
        poisoned = plugin.poison(
            splits.train,
            num_classes=splits.num_classes,
            generator=torch.Generator().manual_seed(seed),
            clean_model=clean,
            test=splits.test,
        )
        about = {
            "attack": attack,
            "family": info.family,
            "params": plugin.config.model_dump(mode="json"),
            "seed": seed,
        }
        save_poisoned_set(store, key, splits.train, poisoned, about)
    base = clean if clean is not None else recipe.new_model()
    victim, victim_key, meta, reused = train_victim(
        plugin.config,
        store=store,
        factory=recipe.new_model,
        baseline=base,
        baseline_fingerprint=weights_fingerprint(base),
        data=poisoned.data,
        val=splits.val,
        training=recipe.training,
        seed=seed,
        spec={"model": recipe.model_spec, "role": "poisoned", "poison": key},
        description=f"training victim of {attack}",
    )
    seconds = meta["training"]["seconds"]
    return Victim(plugin, poisoned, victim, key, victim_key, seconds, reused)


def recipe_of(target: Standalone, *, seed: int = 0, batch_size: int = 256) -> CleanRecipe:
    """The :class:`CleanRecipe` of a model prepared outside a profile (``safedl defend``).

    Its test split is the (possibly ``--limit``-ed) set the standalone target evaluates on.

    Raises:
        ConfigError: The model's training recipe is unknown.
    """
    recipe = target.target.recipe
    if recipe is None:
        raise ConfigError("the model's training recipe is unknown; a poisoning defense needs it")
    s = target.splits
    splits = DataSplits(s.name, s.train, s.val, target.data, list(s.classes))
    return CleanRecipe(
        splits=splits,
        new_model=recipe.new_model,
        training=recipe.training,
        model_spec=recipe.model_spec,
        store=target.store,
        seed=seed,
        baseline=target.model,
        batch_size=batch_size,
        baseline_train_seconds=(target.trained or {}).get("seconds"),
    )


def victim_context(victim: Victim, recipe: CleanRecipe) -> DefenseContext:
    """The :class:`DefenseContext` of a defense applied to ``victim``.

    The deployed (possibly backdoored) model is the context's baseline; the training set is
    the poisoned one, with the ground-truth poison indices for scoring only; validation and
    test data stay clean (the defender's held-out data).
    """
    model = victim.model
    return DefenseContext(
        baseline=model,
        baseline_id=model_fingerprint(model),
        splits=recipe.splits,
        training=recipe.training,
        new_model=recipe.new_model,
        model_spec=recipe.model_spec,
        store=recipe.store,
        seed=recipe.seed,
        device=model.device,
        batch_size=recipe.batch_size,
        train_data=victim.poisoned.data,
        poison_indices=victim.poisoned.indices,
        baseline_train_seconds=victim.train_seconds,
    )


__all__ = ["CleanRecipe", "Victim", "poisoned_victim", "recipe_of", "victim_context"]
