"""The measuring core: result shape, reuse of stored artifacts, clear errors, figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from safedl.assess.backdoor_defense import CleanRecipe, measure_backdoor_defense, measure_grid
from safedl.errors import ConfigError, SafeDLError

from .conftest import Measure

RATE_KEYS = {"value", "low", "high", "k", "n"}


def test_result_is_json_with_rates_and_ground_truth_scoring(measure: Measure) -> None:
    r = measure("badnets", {"poison_fraction": 0.1}, "spectral_signatures")
    json.dumps(r)  # serialisable as it is
    assert {"attack", "defense", "baseline", "defended", "detection", "metrics", "cost"} <= set(r)
    for side in ("baseline", "defended"):
        for k in ("clean_accuracy", "attack_success_rate"):
            rate = r[side][k]
            assert set(rate) == RATE_KEYS and rate["low"] <= rate["value"] <= rate["high"]
    d = r["detection"]
    assert set(d["precision"]) == RATE_KEYS and set(d["recall"]) == RATE_KEYS
    # one index space: true positives + clean discarded = flagged; recall's n = the poison
    assert d["true_positives"] + d["clean_discarded"] == d["flagged"]
    assert d["recall"]["n"] == r["poison_count"] == d["poisoned"]
    assert d["precision"]["k"] == d["recall"]["k"] == d["true_positives"]
    assert sum(r["metrics"]["flagged_per_class"]) == d["flagged"]


def test_a_second_measurement_reuses_the_poison_victim_and_defense(
    digits_recipe: CleanRecipe, measure: Measure
) -> None:
    first = measure("badnets", {"poison_fraction": 0.1}, "fine_tuning", {"epochs": 30, "lr": 0.01})
    again = measure_backdoor_defense(
        "badnets",
        "fine_tuning",
        digits_recipe,
        attack_params={"fraction": 0.1},  # the alias: same poisoned set
        defense_params={"epochs": 30, "lr": 0.01},
    )
    assert again["cost"]["victim_reused"] and again["cost"]["reused"]
    assert again["artifacts"] == first["artifacts"]
    assert again["defended"] == first["defended"] and again["baseline"] == first["baseline"]


def test_bad_input_is_one_clear_error(digits_recipe: CleanRecipe) -> None:
    with pytest.raises(ConfigError, match="poisoning or backdoor"):
        measure_backdoor_defense("pgd", "fine_tuning", digits_recipe)
    with pytest.raises(ConfigError):
        measure_backdoor_defense("badnets", "fine_tuning", digits_recipe, defense_params={"x": 1})
    with pytest.raises(SafeDLError, match="unknown attack"):
        measure_backdoor_defense("no_such_attack", "fine_tuning", digits_recipe)


def test_figures_are_written_from_the_stored_artifacts(
    digits_recipe: CleanRecipe, tmp_path: Path
) -> None:
    paths = []
    for defense in ("neural_cleanse", "spectral_signatures", "strip"):
        r = measure_backdoor_defense(
            "badnets",
            defense,
            digits_recipe,
            attack_params={"poison_fraction": 0.1},
            plots_dir=tmp_path,
        )
        paths += r["figures"]
    names = sorted(Path(p).name for p in paths)
    assert names == [
        "badnets-neural_cleanse-triggers.png",
        "badnets-spectral_signatures-scores.png",
        "badnets-strip-entropy.png",
    ]
    assert all(Path(p).stat().st_size > 1000 for p in paths)


def test_grid_rows_match_the_pairs_measured_alone(
    digits_recipe: CleanRecipe, measure: Measure, tmp_path: Path
) -> None:
    ft = {"epochs": 30, "lr": 0.01}
    grid = measure_grid(
        [("badnets", {"poison_fraction": 0.1}), (None, {})],
        [("fine_tuning", ft)],
        digits_recipe,
        plots_dir=tmp_path,
    )
    assert Path(grid["figure"]).stat().st_size > 1000
    assert [(row["attack"], row["defense"]) for row in grid["rows"]] == [
        ("badnets", "fine_tuning"),
        (None, "fine_tuning"),
    ]
    alone = measure("badnets", {"poison_fraction": 0.1}, "fine_tuning", ft)
    first = grid["rows"][0]
    assert first["attack_success_rate"] == alone["defended"]["attack_success_rate"]
    assert first["baseline_attack_success_rate"] == alone["baseline"]["attack_success_rate"]
    assert grid["rows"][1]["attack_success_rate"] is None
    json.dumps(grid)
