"""The threat model drives the run: its plan runs, stress tests are labelled, the verdict is
honest about what was not tested, and the record holds typed outputs only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from safedl.errors import RunError
from safedl.pipeline.record import RECORD_VERSION, Record
from safedl.pipeline.run import run_profile
from safedl.profiles import profile_from_dict

BASE = {
    "dataset": {"name": "digits"},
    "training": {"epochs": 3, "batch_size": 64, "lr": 0.003},
    "evaluation": {"samples": 40, "curve_samples": 20, "check_samples": 20, "curves": False},
}


def test_a_threat_model_without_attacks_runs_the_plan(tmp_path: Path) -> None:
    profile = profile_from_dict(
        {**BASE, "name": "planned", "threat_model": {"preset": "internal-vetted"}}
    )
    run = run_profile(profile, out=tmp_path / "r")
    result = run.record.result("attacks")
    planned = [p for p in run.record.result("threat_model")["plan"] if p["status"] == "available"]
    assert result["plan_source"] == "threat_model"
    assert [a["attack"] for a in result["attacks"]] == [p["name"] for p in planned]
    assert [a["params"]["eps"] for a in result["attacks"]] == [
        pytest.approx(p["params"]["eps"]) for p in planned
    ]
    assert all(a["scope"] == "in_threat_model" and a["threat_ids"] for a in result["attacks"])
    verdict = run.record.result("risk")["verdict"]
    assert verdict["complete"] is True
    assert "from the threat model's plan" in (run.run_dir / "report.md").read_text()


def test_an_untested_critical_threat_makes_the_summary_incomplete(tmp_path: Path) -> None:
    profile = profile_from_dict(
        {
            **BASE,
            "name": "partial",
            "threat_model": {"preset": "cloud-api", "answers": {"modality": "small_grayscale"}},
            "attacks": [
                {"name": "fgsm", "params": {"eps": 0.1}},
                {"name": "badnets", "params": {"poison_fraction": 0.05}},
            ],
        }
    )
    run = run_profile(profile, out=tmp_path / "r")
    verdict = run.record.result("risk")["verdict"]
    assert verdict["complete"] is False
    untested = {t["id"]: t for t in verdict["untested"]}
    assert untested["model-extraction"]["level"] == "critical"
    # FGSM stands in for the API's evasion threats with more access than the attacker has: a
    # stress test; no threat of a vetted-data API calls for a backdoor: listed, not scored
    attacks = run.record.result("attacks")
    fgsm, badnets = attacks["attacks"]
    assert fgsm["scope"] == "stress_test" and "grey-box" in fgsm["scope_reason"]
    assert badnets["scope"] == "outside_threat_model"
    assert run.record.result("risk")["not_scored"][0]["attack"] == "badnets"
    assert any(p["name"] == "square" for p in attacks["left_out"])
    report = (run.run_dir / "report.md").read_text()
    summary = report.split("## System under evaluation")[0]
    assert "**INCOMPLETE**" in summary and "Model stealing" in summary
    assert "Outside the threat model" in report and "left out" in report


def test_stress_tests_are_labelled_and_do_not_set_the_posture(tmp_path: Path) -> None:
    profile = profile_from_dict(
        {
            **BASE,
            "name": "stress",
            "threat_model": {"preset": "internal-vetted"},
            "attacks": [
                {"name": "pgd", "params": {"eps": 0.05, "steps": 5}},
                {"name": "pgd", "params": {"eps": 0.5, "steps": 5}},
            ],
        }
    )
    run = run_profile(profile, out=tmp_path / "r")
    within, beyond = run.record.result("attacks")["attacks"]
    assert within["scope"] == "in_threat_model"
    assert beyond["scope"] == "stress_test" and "exceeds the attacker's" in beyond["scope_reason"]
    risks = run.record.result("risk")["risks"]
    assert sum(r["scope"] == "stress_test" for r in risks) == 1
    verdict = run.record.result("risk")["verdict"]
    counted = [r for r in risks if r["scope"] == "in_threat_model"]
    assert verdict["posture"] == max(
        (r["pessimistic_band"] for r in counted),
        key=("low", "medium", "high", "critical").index,
    )
    assert verdict["stress_tests"] == 1
    assert "stress test, informs only" in (run.run_dir / "report.md").read_text()


def test_the_record_is_typed_and_validated_on_load(tmp_path: Path) -> None:
    profile = profile_from_dict(
        {**BASE, "name": "typed", "attacks": [{"name": "fgsm", "params": {"eps": 0.1}}]}
    )
    run = run_profile(profile, out=tmp_path / "r")
    path = run.run_dir / "record.json"
    data = json.loads(path.read_text())
    assert data["record_version"] == RECORD_VERSION
    entry = data["stages"]["attacks"]["result"]["attacks"][0]
    assert entry["family"] == "evasion" and entry["model"] == "baseline"
    assert entry["model_id"] == data["stages"]["baseline"]["result"]["model_id"]
    assert "units" not in data["stages"]["attacks"]  # the resume journal lives in the store
    findings = data["stages"]["attacks"]["result"]["validity"]
    assert findings and all("concerns" in f and "reliable" not in entry for f in findings)
    # a hand-edited record is refused with one clear message
    broken = json.loads(path.read_text())
    broken["stages"]["attacks"]["result"]["attacks"][0]["robust_accuracy"] = "high"
    path.write_text(json.dumps(broken))
    with pytest.raises(RunError, match=r"record is invalid: stages\.attacks\.result\.attacks"):
        Record.load(path)
    # an older record version gets a clear message
    old = {**data, "record_version": "1.0"}
    path.write_text(json.dumps(old))
    with pytest.raises(RunError, match="older Safe-DL"):
        Record.load(path)
    path.write_text(json.dumps(data)[:200])  # truncated
    with pytest.raises(RunError, match="cannot read the run record"):
        Record.load(path)


def test_privacy_and_extraction_attacks_run_score_and_report(tmp_path: Path) -> None:
    profile = profile_from_dict(
        {
            **BASE,
            "name": "leaks",
            "threat_model": {
                "preset": "cloud-api",
                "answers": {"modality": "small_grayscale", "rate_limit": "strict"},
            },
            "attacks": [
                {"name": "knockoff", "params": {"max_queries": 1000}},
                {"name": "loss_threshold", "params": {}},
            ],
        }
    )
    run = run_profile(profile, out=tmp_path / "r")
    stolen, member = run.record.result("attacks")["attacks"]
    assert stolen["family"] == "extraction" and stolen["status"] == "done"
    assert 0 <= stolen["fidelity"]["value"] <= 1 and stolen["queries"] <= 1000
    assert stolen["scope"] == "in_threat_model"  # the critical model-extraction threat
    assert member["family"] == "privacy" and 0 <= member["auc"] <= 1
    risks = {r["attack"]: r for r in run.record.result("risk")["risks"]}
    assert "stolen copy agrees" in risks["knockoff"]["factors"][0]["reason"]
    untested = {t["id"] for t in run.record.result("risk")["verdict"]["untested"]}
    assert "model-extraction" not in untested
    report = (run.run_dir / "report.md").read_text()
    assert "### Privacy and model extraction" in report
