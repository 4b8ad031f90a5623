"""How the victim learns from a poisoned set: from scratch, or fine-tuned from the baseline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from safedl.attacks.poisoning.artifacts import model_fingerprint
from safedl.attacks.poisoning.victim import train_victim
from safedl.config import TrainingConfig
from safedl.errors import ConfigError
from safedl.pipeline.store import ArtifactStore
from safedl.registry import ATTACKS


def test_fine_tuning_reuses_the_poisoned_set_and_trains_its_own_victim(poison_env: Any) -> None:
    params = {"poison_fraction": 0.3}
    scratch = poison_env.evaluate("label_flip", params)
    tuned = poison_env.evaluate(
        "label_flip", {**params, "victim_training": "fine-tune", "fine_tune_epochs": 2}
    )
    assert tuned.poison_artifact == scratch.poison_artifact and tuned.poison_reused
    assert tuned.victim_artifact != scratch.victim_artifact
    assert scratch.victim["training"] == "scratch"
    assert tuned.victim["training"] == "fine-tune" and tuned.victim["epochs_run"] == 2
    assert tuned.params["victim_training"] == "fine-tune"
    meta = poison_env.store.meta(tuned.victim_artifact)["spec"]
    assert meta["init"] == model_fingerprint(poison_env.baseline)
    assert tuned.target_class_probability is None  # label flipping aims at no class


@pytest.mark.parametrize(("mode", "from_baseline"), [("fine-tune", True), ("scratch", False)])
def test_the_victim_starts_from_the_baseline_only_when_fine_tuned(
    poison_env: Any, tmp_path: Path, mode: str, from_baseline: bool
) -> None:
    baseline = poison_env.baseline
    still = TrainingConfig(epochs=7, batch_size=64, lr=1e-12)  # training that moves nothing
    victim, _, meta, reused = train_victim(
        ATTACKS.make_config("label_flip", {"victim_training": mode}),
        store=ArtifactStore(tmp_path),
        factory=poison_env.factory,
        baseline=baseline,
        baseline_fingerprint=model_fingerprint(baseline),
        data=poison_env.splits.train,
        val=None,
        training=still,
        seed=0,
        spec={"role": "test"},
        description="test victim",
    )
    x = poison_env.splits.test.x[:64]
    with torch.no_grad():
        same = torch.allclose(victim.logits(x), baseline.logits(x), atol=1e-4)
    assert same is from_baseline and not reused
    # Fine-tuning trains fine_tune_epochs (default 1), not the baseline's epochs.
    assert meta["training"]["epochs_run"] == (1 if from_baseline else 7)


def test_bad_victim_settings_are_refused() -> None:
    with pytest.raises(ConfigError, match="victim_training"):
        ATTACKS.make_config("badnets", {"victim_training": "warm-start"})
    with pytest.raises(ConfigError, match="fine_tune_epochs"):
        ATTACKS.make_config("gradient_matching", {"fine_tune_epochs": 0})
