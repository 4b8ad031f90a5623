"""How the victim learns from a poisoned set: from scratch, or fine-tuned from the baseline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from safedl.attacks.poisoning.victim import train_victim
from safedl.config import TrainingConfig
from safedl.errors import ConfigError, ModelError
from safedl.models.identity import weights_fingerprint
from safedl.registry import ATTACKS
from safedl.store import ArtifactStore


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
    assert meta["init"] == weights_fingerprint(poison_env.baseline)
    assert tuned.target_class_probability is None  # label flipping aims at no class


@pytest.mark.parametrize(
    ("mode", "from_baseline"), [("fine-tune", True), ("last-layer", True), ("scratch", False)]
)
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
        baseline_fingerprint=weights_fingerprint(baseline),
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


def test_last_layer_training_changes_the_head_only(poison_env: Any, tmp_path: Path) -> None:
    baseline = poison_env.baseline
    poisoned = ATTACKS.create("badnets", {"poison_fraction": 0.1}).poison(poison_env.splits.train)
    victim, _, meta, _ = train_victim(
        ATTACKS.make_config("badnets", {"victim_training": "last-layer", "fine_tune_epochs": 2}),
        store=ArtifactStore(tmp_path),
        factory=poison_env.factory,
        baseline=baseline,
        baseline_fingerprint=weights_fingerprint(baseline),
        data=poisoned.data,
        val=None,
        training=TrainingConfig(epochs=9, batch_size=64, lr=0.003),
        seed=0,
        spec={"role": "test"},
        description="test victim",
    )
    before, after = baseline.module.state_dict(), victim.module.state_dict()
    head = [m for m in victim.module.modules() if isinstance(m, torch.nn.Linear)][-1]
    owned = {id(p) for p in head.parameters()}
    head_names = {n for n, p in victim.module.named_parameters() if id(p) in owned}
    moved = {n for n in before if not torch.equal(before[n], after[n])}
    assert moved == head_names and meta["training"]["epochs_run"] == 2
    assert all(p.requires_grad for p in victim.module.parameters())  # flags restored


def test_last_layer_needs_a_linear_head(poison_env: Any, tmp_path: Path) -> None:
    from safedl.attacks.poisoning.victim import last_layer_only

    with pytest.raises(ModelError, match=r"nn\.Linear"), last_layer_only(torch.nn.Conv2d(1, 1, 1)):
        pass
