"""Data filters measured against the true poison: backdoors, label flipping, a clean set.

Victims: small_cnn on digits (12 epochs), seed 0. Measured:

* BadNets 3% (39 poisons, target class 0 ≈ 23% poisoned; victim ASR 96%): activation
  clustering flags class 0's smaller cluster — precision 26.6%, recall 94.9% (it also flags
  the smaller clusters of clean classes) — and the retrained model's attack success falls to
  1.9% at 93.9% clean (−4.2 points); spectral signatures (ε = 0.1) recall 48.7%, ASR 74%;
  the k-NN label filter does nothing against a backdoor (its poisons agree with each other).
* BadNets 10% (target class half poisoned): the filters fail as on BackdoorBench's grid —
  activation clustering's smaller class-0 cluster is 47% of the class (not flagged; ASR
  99%), spectral signatures remove 39 of class 0 (recall 26%), ASR 93%.
* Adaptive (spread-out trigger): the blended backdoor at 3% drops activation clustering's
  recall from 95% to 44% and leaves 29% attack success (against 1.9% for BadNets).
* Label flipping 30% (random): the victim loses 3–4 points (seeds 0 / 1 / 2 on this machine:
  97.5 → 94.4%, 96.7 → 92.8%, 96.1 → 94.4%); the deep k-NN filter (k = 10) flags ~400 with
  precision 96–97% and recall 98–99%, and the model retrained on the rest gets 95.8 / 94.4 /
  95.3% — 46 / 43 / 50% of the loss recovered (69% on another machine; 0% with one thread
  there). Relabelling the flagged samples instead of dropping them: 95.0 / 95.0 / 95.5%
  (18 / 57 / 67%). With 359 test images one point is 3.6 images, so "most of the loss" is
  within noise here; ``test_fashion_mnist.py`` measures it where the loss is larger (61%).
* Clean training set (false-positive side): k-NN flags 6 of 1 294 and costs 0.3 points;
  activation clustering flags 147 (the smaller clusters of classes 1 and 3, whose silhouettes
  exceed 0.15) and costs 5.3 points; spectral signatures remove 1.5·ε of every class by
  construction.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch

from safedl.data import TensorData
from safedl.defenses.data.base import Flags
from safedl.errors import ConfigError
from safedl.registry import DEFENSES

from .conftest import Measure

FILTERS = ("spectral_signatures", "activation_clustering", "knn_label_filter")


def _f1(d: dict[str, Any]) -> float:
    p, r = d["precision"]["value"], d["recall"]["value"]
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def test_the_best_filter_at_a_low_rate_cuts_the_backdoor(measure: Measure) -> None:
    runs = {f: measure("badnets", {"poison_fraction": 0.03}, f) for f in FILTERS}
    best = max(runs, key=lambda f: _f1(runs[f]["detection"]))
    r = runs[best]
    d = r["detection"]
    assert d["recall"]["value"] >= 0.8, (best, d)
    before = r["baseline"]["attack_success_rate"]["value"]
    after = r["defended"]["attack_success_rate"]["value"]
    assert before >= 0.9 and after <= before - 0.5, (best, before, after)
    # the k-NN label filter is no backdoor defense: poisons agree with their neighbours
    assert runs["knn_label_filter"]["detection"]["recall"]["value"] < 0.2


def test_at_ten_percent_the_half_poisoned_target_class_defeats_the_filters(
    measure: Measure,
) -> None:
    ac = measure("badnets", {"poison_fraction": 0.1}, "activation_clustering")
    c0 = ac["metrics"]["filter"]["classes"][0]
    assert c0["smaller_share"] > 0.35 and not c0["flagged"]
    ss = measure("badnets", {"poison_fraction": 0.1}, "spectral_signatures")
    for r in (ac, ss):
        assert r["defended"]["attack_success_rate"]["value"] >= 0.5


def test_a_spread_out_trigger_lowers_activation_clustering_recall(measure: Measure) -> None:
    plain = measure("badnets", {"poison_fraction": 0.03}, "activation_clustering")
    blended = measure("blend", {"poison_fraction": 0.03}, "activation_clustering")
    rp, rb = plain["detection"]["recall"]["value"], blended["detection"]["recall"]["value"]
    # Measured: recall 95% -> 44% with one thread (attack success after the filter 1.9% -> 29%)
    # and 95% -> 85% with two (1.9% -> 1.2%: the filter still removes enough). The victims'
    # training differs with the thread count, and so does how far the blend spreads in feature
    # space: the recall falls in both, whether the backdoor survives depends on the run.
    assert rb < rp, (rp, rb)


def test_knn_filter_finds_flipped_labels_and_retraining_does_not_lose_accuracy(
    measure: Measure,
) -> None:
    r = measure("label_flip", {"poison_fraction": 0.3}, "knn_label_filter")
    clean = measure(None, None, "knn_label_filter")["baseline"]["clean_accuracy"]["value"]
    victim = r["baseline"]["clean_accuracy"]["value"]
    after = r["defended"]["clean_accuracy"]["value"]
    assert clean - victim >= 0.02, (clean, victim)  # the attack did cost accuracy
    d = r["detection"]
    assert d["precision"]["value"] >= 0.8 and d["recall"]["value"] >= 0.9, d
    # The filter finds the flipped labels (measured precision 95-96%, recall 99%), but the kept
    # set is ~30% smaller than the 1 294 clean images: how much of the loss retraining
    # recovers depends on the run (69%, 45% and 0% measured on different machines and thread
    # counts; victim 93-94%, clean 97-98%). Asserted: never worse than the victim.
    assert after >= victim, (clean, victim, after)


def test_relabelling_keeps_every_sample_and_gives_the_plurality_label(measure: Measure) -> None:
    dropped = measure("label_flip", {"poison_fraction": 0.3}, "knn_label_filter")
    r = measure("label_flip", {"poison_fraction": 0.3}, "knn_label_filter", {"action": "relabel"})
    assert r["detection"] == dropped["detection"]  # the same flags
    m = r["metrics"]
    assert m["relabelled"] and m["kept"] == 1294 and dropped["metrics"]["kept"] < 1000
    assert r["defended"]["clean_accuracy"]["value"] >= r["baseline"]["clean_accuracy"]["value"]


def test_flags_relabel_only_the_flagged_samples() -> None:
    data = TensorData(torch.zeros(4, 1, 2, 2), torch.tensor([0, 1, 2, 3]))
    flags = Flags(
        torch.tensor([False, True, False, True]), torch.zeros(4), relabel=torch.tensor([9, 8, 7, 6])
    )
    assert flags.cleaned(data).y.tolist() == [0, 8, 2, 6]
    assert Flags(flags.flagged, flags.scores).cleaned(data).y.tolist() == [0, 2]


def test_on_a_clean_set_the_knn_filter_flags_few_and_costs_little(measure: Measure) -> None:
    r = measure(None, None, "knn_label_filter")
    d = r["detection"]
    assert d["poisoned"] == 0 and d["clean_discarded"] == d["flagged"]
    assert d["flagged"] <= 0.02 * 1294
    drop = r["baseline"]["clean_accuracy"]["value"] - r["defended"]["clean_accuracy"]["value"]
    assert drop <= 0.01


def test_false_positives_of_clustering_on_a_clean_set_are_reported(measure: Measure) -> None:
    r = measure(None, None, "activation_clustering")
    d = r["detection"]
    assert d["precision"]["n"] == d["flagged"] == d["clean_discarded"]
    assert d["precision"]["k"] == 0 and d["recall"]["n"] == 0


def test_filter_configs_are_checked() -> None:
    with pytest.raises(ConfigError):
        DEFENSES.create("spectral_signatures", {"eps": 1.5})
    with pytest.raises(ConfigError):
        DEFENSES.create("activation_clustering", {"size_threshold": 0.9})
    with pytest.raises(ConfigError):
        DEFENSES.create("knn_label_filter", {"k": 0})
    with pytest.raises(ConfigError):
        DEFENSES.create("knn_label_filter", {"action": "flip"})
