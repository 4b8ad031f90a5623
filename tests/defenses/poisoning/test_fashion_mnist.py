"""Slow reference checks on Fashion-MNIST: BadNets 10% against repair defenses and STRIP.

Setting: small_cnn, 20 000 training images, 3 epochs (batch 128, Adam 1e-3, seed 0); the
defender's clean set is the first 1 000 validation images and the measurement uses the first
1 000 test images. BadNets 10% (3×3 white patch, target class 0): victim clean accuracy 87.1%,
attack success 99.3%. Measured on one core (about 7 minutes for the module):

* Neural Cleanse (300 steps): anomaly index 3.5 for class 0 — named — and 2.2 for class 8 (a
  false flag alongside; with 600 steps and 2 000 clean images classes 6 and 8 were flagged
  too); unlearning both → 11.2% attack success at 87.7% clean.
* fine-tuning (defaults: 30 epochs of Adam at 0.01 with a cosine on the 1 000 clean images):
  **3.1% attack success at 85.5% clean** (−1.7 points) with one thread, 2.9% at −1.6 with
  two; seeds 1 and 2 of the same setting: 5.6% at −3.2, 3.5% at −2.7. At the baseline's
  learning rate it leaves 97%.
* fine-pruning (defaults: 39 of 64 channels pruned, 10 epochs on the 1 000 clean images):
  61.4% left at 87.3% clean with one thread, 84.7% with two (35.3% with 2 000 clean images) —
  no cure, like BackdoorBench's 57% on CIFAR-10.
* STRIP (N = 100, the paper's boundary for FRR 1% — a normal fitted to the entropies of the
  1 000 clean images): realised FRR 0% (0 of 1 000), **FAR 3.0%** (27 of 893; the paper:
  1.85% on MNIST); defended attack success 2.8%. The empirical 1% quantile instead: FRR
  1.5%, FAR 1.7%.
* deep k-NN label filter (k = 10) against label flipping at 30%: the victim reaches 78.5% clean
  against the clean model's 87.8%; the filter flags 7 961 of 20 000 (precision 73.6%, recall
  97.7%), and retraining on the rest gets 84.2% — 61% of the 9.3 lost points recovered
  (relabelling them with the neighbours' plurality instead: 83.7%, 56%).
* (not run here) spectral signatures and activation clustering leave 99% attack success with
  2 000 test images: the target class is half poisoned, as on BackdoorBench's CIFAR-10 grid.

Skipped when Fashion-MNIST is not installed.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch

from safedl.assess.backdoor_defense import CleanRecipe, measure_backdoor_defense
from safedl.config import DatasetConfig, ModelConfig, TrainingConfig
from safedl.data import DataSplits, load_dataset
from safedl.errors import DataError
from safedl.models import FreshModel
from safedl.store import ArtifactStore

pytestmark = pytest.mark.slow
BADNETS = {"poison_fraction": 0.1}


@pytest.fixture(scope="module")
def fm_recipe(tmp_path_factory: pytest.TempPathFactory) -> CleanRecipe:
    try:
        s = load_dataset(DatasetConfig(name="fashion_mnist", train_limit=20_000), seed=0)
    except DataError as exc:
        pytest.skip(f"Fashion-MNIST is not available here: {exc.message}")
    first = torch.arange(1000)
    splits = DataSplits(s.name, s.train, s.val.subset(first), s.test.subset(first), s.classes)
    factory = FreshModel(
        ModelConfig(name="small_cnn"), splits.input_shape, splits.num_classes, seed=0, device="cpu"
    )
    store = ArtifactStore(tmp_path_factory.mktemp("fmnist-poison-defense"))
    training = TrainingConfig(epochs=3, batch_size=128, lr=1e-3)
    return CleanRecipe(splits, factory, training, {"name": "small_cnn"}, store, seed=0)


def _run(recipe: CleanRecipe, defense: str, params: dict[str, Any] | None = None) -> Any:
    return measure_backdoor_defense(
        "badnets", defense, recipe, attack_params=BADNETS, defense_params=params
    )


def test_neural_cleanse_names_the_target_on_fashion_mnist(fm_recipe: CleanRecipe) -> None:
    r = _run(fm_recipe, "neural_cleanse", {"steps": 300})
    assert r["baseline"]["attack_success_rate"]["value"] >= 0.95
    assert r["metrics"]["names_true_target"], r["metrics"]["anomaly_index"]
    assert r["defended"]["attack_success_rate"]["value"] < 0.15, r["defended"]
    drop = r["baseline"]["clean_accuracy"]["value"] - r["defended"]["clean_accuracy"]["value"]
    assert drop <= 0.03


def test_fine_tuning_removes_badnets_on_fashion_mnist(fm_recipe: CleanRecipe) -> None:
    r = _run(fm_recipe, "fine_tuning")
    assert r["defended"]["attack_success_rate"]["value"] < 0.10, r["defended"]
    drop = r["baseline"]["clean_accuracy"]["value"] - r["defended"]["clean_accuracy"]["value"]
    assert drop <= 0.03, r["defended"]["clean_accuracy"]


def test_knn_filter_recovers_most_of_the_accuracy_label_flipping_costs(
    fm_recipe: CleanRecipe,
) -> None:
    r = measure_backdoor_defense(
        "label_flip", "knn_label_filter", fm_recipe, attack_params={"poison_fraction": 0.3}
    )
    clean = fm_recipe.clean_model()  # the same recipe on the unpoisoned set
    clean_acc = clean.accuracy(fm_recipe.splits.test.x, fm_recipe.splits.test.y, 256)
    victim = r["baseline"]["clean_accuracy"]["value"]
    after = r["defended"]["clean_accuracy"]["value"]
    assert clean_acc - victim >= 0.05, (clean_acc, victim)
    d = r["detection"]
    # measured: precision 73.6% (shirts, T-shirts and pullovers are each other's neighbours),
    # recall 97.7%
    assert d["precision"]["value"] >= 0.6 and d["recall"]["value"] >= 0.9, d
    assert after - victim >= 0.5 * (clean_acc - victim), (clean_acc, victim, after)


def test_fine_pruning_only_dents_badnets_on_fashion_mnist(fm_recipe: CleanRecipe) -> None:
    # Measured: 61.4% attack success left with one thread, 84.7% with two (the victim and the
    # pruning differ with the thread count) — never a cure, as on BackdoorBench (57%).
    r = _run(fm_recipe, "fine_pruning")
    before = r["baseline"]["attack_success_rate"]["value"]
    assert r["defended"]["attack_success_rate"]["value"] < before, r["defended"]
    drop = r["baseline"]["clean_accuracy"]["value"] - r["defended"]["clean_accuracy"]["value"]
    assert drop <= 0.03


def test_strip_far_at_one_percent_frr_on_fashion_mnist(fm_recipe: CleanRecipe) -> None:
    r = _run(fm_recipe, "strip", {"frr_probe": 500})
    d = r["detection"]
    assert d["frr"]["value"] <= 0.03, d["frr"]
    assert d["far"]["value"] <= 0.05, d["far"]  # the bar; the paper: 1.85% on MNIST
    assert r["defended"]["attack_success_rate"]["value"] <= 0.05
