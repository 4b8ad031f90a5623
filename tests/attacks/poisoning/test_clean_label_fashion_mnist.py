"""Clean-label poisoning on Fashion-MNIST in the settings where the papers see it work.

Both attacks aim at test image 4 (a Shirt) and craft their poisons from T-shirt/top images
against the clean model (small_cnn, 20,000 training images, 3 epochs, batch 128, Adam 1e-3,
seed 0). On 28×28 grey images and a 3-epoch small CNN trained *from scratch*, 1–5% poisons at
ε = 16/255 raise the target's T-shirt probability but flip nothing (Witches' Brew's from-scratch
results are for ResNet-18s trained 40 epochs with augmentation on CIFAR-10; Poison Frogs' own
end-to-end results need watermarking). Each test compares the victim with a control: the same
training on the clean set.

Measured (idle 2-core machine):

- **Witches' Brew, fine-tuning** (the deployed model trains one more epoch on a set holding
  2% poisons, ε = 32/255, 250 steps): the target's T-shirt probability goes 0.085 (clean
  model) → 0.12 (control) → 0.42 (victim; its top class); gradient cosine 0.91 → 0.99. At
  ε = 16/255 (exploratory) 0.12 → 0.21, not flipped.
- **Poison Frogs, transfer learning** (only the last layer retrained, 3 epochs, 5% poisons,
  ε = 32/255, 200 steps) — the paper's main setting: 0.085 → 0.11 (control) → 0.67, flipped;
  relative feature distance 0.23. The same poisons with the whole network fine-tuned one epoch
  reached 0.25 in an exploratory run (the paper's observation that feature collision needs a
  fixed feature extractor).

Both tests together: about 280 s.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from safedl.config import DatasetConfig, ModelConfig, TrainingConfig
from safedl.data import DataSplits, load_dataset
from safedl.errors import DataError
from safedl.models import ModelAdapter
from safedl.pipeline.store import ArtifactStore
from safedl.registry import ATTACKS

TARGET = 4  # a Shirt the clean model classifies correctly; aimed at T-shirt/top (class 0)
TRAINING = TrainingConfig(epochs=3, batch_size=128, lr=1e-3)


@dataclass
class Env:
    splits: DataSplits
    store: ArtifactStore
    factory: Any
    baseline: ModelAdapter

    def evaluate(self, name: str, params: dict[str, Any]) -> Any:
        from safedl.attacks.poisoning import evaluate_poisoning

        params = {"target_class": 0, "target_index": [TARGET], **params}
        return evaluate_poisoning(
            ATTACKS.create(name, params, seed=0),
            train=self.splits.train,
            val=self.splits.val,
            test=self.splits.test,
            baseline=self.baseline,
            victim_factory=self.factory,
            training=TRAINING,
            store=self.store,
            seed=0,
            model_spec={"name": "small_cnn"},
            classes=self.splits.classes,
        )

    def control(self, name: str, params: dict[str, Any]) -> float:
        """The target's T-shirt probability after the same training on the clean set."""
        from safedl.attacks.poisoning.victim import train_victim

        model, *_ = train_victim(
            ATTACKS.make_config(name, params),
            store=self.store,
            factory=self.factory,
            baseline=self.baseline,
            baseline_fingerprint="clean control",
            data=self.splits.train,
            val=self.splits.val,
            training=TRAINING,
            seed=0,
            spec={"model": {"name": "small_cnn"}, "role": "control"},
            description="control",
        )
        return float(model.predict_proba(self.splits.test.x[TARGET : TARGET + 1])[0, 0])


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Env:
    from safedl.attacks.poisoning.pipeline import victim_factory
    from safedl.training import train_or_load

    try:
        splits = load_dataset(DatasetConfig(name="fashion_mnist", train_limit=20_000), seed=0)
    except DataError as exc:
        pytest.skip(f"Fashion-MNIST is not available here: {exc.message}")
    store = ArtifactStore(Path(tmp_path_factory.mktemp("fmnist-poison")))
    factory = victim_factory(
        ModelConfig(name="small_cnn"), splits.input_shape, splits.num_classes, seed=0, device="cpu"
    )
    baseline = factory()
    spec = {"model": {"name": "small_cnn"}, "role": "baseline"}
    train_or_load(store, baseline, splits.train, splits.val, TRAINING, seed=0, spec=spec)
    assert int(baseline.predict(splits.test.x[TARGET : TARGET + 1])[0]) == splits.test.y[TARGET]
    return Env(splits, store, factory, baseline)


def check(result: Any, control: float) -> str:
    summary = f"{result.target_class_probability}, control {control:.3f}, extra {result.extra}"
    print(summary)
    assert result.within_bounds and result.labels_changed == 0, summary
    assert result.baseline_attack_success_rate.value == 0.0, summary
    assert result.accuracy_drop < 0.02, summary
    return summary


@pytest.mark.slow
def test_gradient_matching_flips_its_target_when_the_victim_fine_tunes(env: Env) -> None:
    params = {"poison_fraction": 0.02, "eps": 32 / 255, "victim_training": "fine-tune"}
    result = env.evaluate("gradient_matching", params)
    control = env.control("gradient_matching", params)
    summary = check(result, control)
    assert result.target_class_probability["victim"] > 3 * control, summary
    assert result.attack_success_rate.value == 1.0, summary


@pytest.mark.slow
def test_feature_collision_flips_its_target_under_transfer_learning(env: Env) -> None:
    params = {"poison_fraction": 0.05, "eps": 32 / 255}
    frozen = {**params, "victim_training": "last-layer", "fine_tune_epochs": 3}
    result = env.evaluate("feature_collision", frozen)
    control = env.control("feature_collision", frozen)
    summary = check(result, control)
    assert result.target_class_probability["victim"] > 3 * control, summary
    assert result.attack_success_rate.value == 1.0, summary
    # The same poisons, the whole network fine-tuned: far weaker (the paper's observation).
    whole = env.evaluate("feature_collision", {**params, "victim_training": "fine-tune"})
    assert whole.poison_reused and whole.poison_artifact == result.poison_artifact
    weaker = whole.target_class_probability["victim"]
    assert weaker < result.target_class_probability["victim"] / 2, (summary, weaker)
