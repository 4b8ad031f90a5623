"""Defenses in a run: applied, re-attacked adaptively, scored against the baseline."""

from __future__ import annotations

import pytest

from safedl.pipeline.run import Run, run_profile
from safedl.profiles import profile_from_dict

PROFILE = {
    "name": "defended",
    "dataset": {"name": "digits"},
    "training": {"epochs": 4, "batch_size": 64, "lr": 0.003},
    "attacks": [{"name": "pgd", "params": {"eps": 0.1, "steps": 10}}],
    "defenses": [{"name": "bit_depth_reduction", "params": {"bits": 1}}],
    "evaluation": {"samples": 80, "check_samples": 40, "curves": False},
}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return run_profile(profile_from_dict(PROFILE), out=tmp_path_factory.mktemp("defended") / "r")


def test_a_masking_defense_is_exposed_by_the_adaptive_reevaluation(run: Run) -> None:
    defenses = run.record.result("defenses")["defenses"]
    assert defenses[0]["defense"] == "bit_depth_reduction"
    assert defenses[0]["adaptive_needs"]["differentiable"] is False
    assert defenses[0]["cost"]["latency_ms"] > 0
    (model,) = run.record.result("reevaluation")["models"]
    (budget,) = model["budgets"]
    # plain PGD cannot see through the quantiser; BPDA, transfer and Square can
    assert budget["robust_accuracy"]["value"] < budget["non_adaptive_robust_accuracy"]["value"]
    assert budget["holds_only_without_adaptive_attacks"] is True
    assert budget["cascade"][0]["robust_after"] < budget["cascade"][0]["ran_on"]  # BPDA broke some
    steps = [s["adaptive"] for s in budget["cascade"]]
    assert steps[0].startswith("BPDA") and "transfer" in steps[1] and "5,000" in steps[2]
    adaptive = [a for a in model["attacks"] if a["adaptive"]]
    assert adaptive and all(a["model"] == "bit_depth_reduction" for a in adaptive)
    assert {"difference", "p_value", "low", "high"} <= set(budget["mitigation"])
    assert model["clean"]["defended"]["n"] == 80
    assert "posture" in model["posture_after"]
    # resuming does not attack again: every unit is read back from the store
    again = run_profile(profile_from_dict(PROFILE), out=run.run_dir)
    assert again.record.result("reevaluation") == run.record.result("reevaluation")


def test_the_report_shows_the_before_and_after(run: Run) -> None:
    report = (run.run_dir / "report.md").read_text()
    assert "## Defenses and their adaptive re-evaluation" in report
    assert "| bit_depth_reduction | linf ε = 0.1 |" in report
    html = (run.run_dir / "report.html").read_text()
    assert 'id="defenses"' in html and "data:image/png;base64" in html
    assert (run.run_dir / run.record.result("reevaluation")["plot"]).stat().st_size > 1000
