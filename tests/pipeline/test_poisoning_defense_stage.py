"""Poisoning defenses in a run: measured against its own poisoned victims and the clean model."""

from __future__ import annotations

import pytest

from safedl.pipeline.run import Run, run_profile
from safedl.profiles import profile_from_dict

PROFILE = {
    "name": "backdoored",
    "dataset": {"name": "digits"},
    "training": {"epochs": 8, "batch_size": 64, "lr": 0.003},
    "attacks": [{"name": "badnets", "params": {"poison_fraction": 0.1, "target_class": 0}}],
    "defenses": [
        {"name": "fine_tuning", "params": {}},
        {"name": "spectral_signatures", "params": {}},
    ],
    "evaluation": {"samples": 60, "check_samples": 30, "curves": False},
}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return run_profile(profile_from_dict(PROFILE), out=tmp_path_factory.mktemp("poison") / "r")


def test_poisoning_defenses_are_measured_against_the_runs_poisons(run: Run) -> None:
    defenses = run.record.result("defenses")
    assert defenses["defenses"] == []  # not applied to the clean baseline
    assert defenses["measured_against_poisons"] == ["fine_tuning", "spectral_signatures"]
    grid = run.record.result("reevaluation")["poisoning"]
    pairs = {(r["attack"], r["defense"]): r for r in grid["rows"]}
    assert set(pairs) == {
        ("badnets", "fine_tuning"),
        ("badnets", "spectral_signatures"),
        (None, "fine_tuning"),
        (None, "spectral_signatures"),
    }
    tuned = pairs[("badnets", "fine_tuning")]
    assert tuned["baseline_attack_success_rate"]["value"] > 0.8  # the backdoor took
    assert tuned["attack_success_rate"]["value"] < tuned["baseline_attack_success_rate"]["value"]
    spectral = pairs[("badnets", "spectral_signatures")]
    assert 0 <= spectral["precision"]["value"] <= 1 and 0 <= spectral["recall"]["value"] <= 1
    clean = pairs[(None, "fine_tuning")]
    assert clean["clean_accuracy"]["value"] > 0.8  # little cost when there is nothing to find
    # the residual risk is the poison's, scored again with what the defense left
    (before,) = [r for r in run.record.result("risk")["risks"] if r["family"] == "backdoor"]
    (after,) = grid["residual"]["fine_tuning"]["residual_risks"]
    assert after["model"] == "fine_tuning" and after["score"] < before["score"]
    assert "posture" in grid["residual"]["fine_tuning"]["posture_after"]


def test_the_grid_is_in_the_report_and_reused_on_resume(run: Run) -> None:
    report = run.report_path.read_text()
    assert "## Poisoning and backdoor defenses, measured against the known poison" in report
    assert "| badnets | fine_tuning |" in report
    html = (run.run_dir / "report.html").read_text()
    assert 'id="poisoning-defenses"' in html
    again = run_profile(profile_from_dict(PROFILE), out=run.run_dir)
    assert again.record.result("reevaluation") == run.record.result("reevaluation")
