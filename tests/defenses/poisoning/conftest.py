"""Fixtures of the poisoning-defense tests: one clean recipe on digits, results memoised.

``digits_recipe`` is ``small_cnn`` on the bundled 8×8 digits (train 1 294, val 144, test 359),
trained 12 epochs (batch 64, Adam 3e-3, seed 0) — the recipe of the attack tests. Its store
lives in a session temporary folder, so each poisoned set and victim is trained once per
session, and ``measure(attack, attack_params, defense, defense_params)`` memoises every
measured pair (a second test asking for the same pair gets the same dict).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from safedl.assess.backdoor_defense import CleanRecipe, measure_backdoor_defense
from safedl.config import DatasetConfig, ModelConfig, TrainingConfig
from safedl.data import load_dataset
from safedl.models import FreshModel
from safedl.store import ArtifactStore

TRAINING = TrainingConfig(epochs=12, batch_size=64, lr=0.003)

Measure = Callable[..., dict[str, Any]]


@pytest.fixture(scope="session")
def digits_recipe(tmp_path_factory: pytest.TempPathFactory) -> CleanRecipe:
    splits = load_dataset(DatasetConfig(name="digits"), seed=0)
    factory = FreshModel(
        ModelConfig(name="small_cnn"), splits.input_shape, splits.num_classes, seed=0, device="cpu"
    )
    store = ArtifactStore(tmp_path_factory.mktemp("poison-defense-store"))
    return CleanRecipe(splits, factory, TRAINING, {"name": "small_cnn"}, store, seed=0)


@pytest.fixture(scope="session")
def measure(digits_recipe: CleanRecipe) -> Measure:
    memo: dict[str, dict[str, Any]] = {}

    def run(
        attack: str | None,
        attack_params: dict[str, Any] | None,
        defense: str,
        defense_params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        key = json.dumps([attack, attack_params, defense, defense_params], sort_keys=True)
        if key not in memo:
            memo[key] = measure_backdoor_defense(
                attack,
                defense,
                digits_recipe,
                attack_params=attack_params,
                defense_params=defense_params,
            )
        return memo[key]

    return run
