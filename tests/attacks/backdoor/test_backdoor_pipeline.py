"""A backdoor as a unit of the attack stage of ``safedl run``: record, artifacts, plots, resume."""

from __future__ import annotations

import json
from pathlib import Path

from safedl.attacks.poisoning import load_poisoned_set
from safedl.data import load_dataset
from safedl.pipeline.run import run_profile
from safedl.profiles import profile_from_dict
from safedl.store import ArtifactStore

PROFILE = {
    "name": "backdoor-quick",
    "dataset": {"name": "digits"},
    "training": {"epochs": 10, "batch_size": 64, "lr": 0.003},
    "attacks": [{"name": "badnets", "params": {"poison_fraction": 0.1}}],
    "evaluation": {"samples": 100, "curves": False, "validity_checks": False},
}


def test_badnets_runs_as_a_pipeline_stage(tmp_path: Path) -> None:
    run = run_profile(profile_from_dict(PROFILE), out=tmp_path / "r")
    record = json.loads((run.run_dir / "record.json").read_text())
    stage = record["stages"]["attacks"]
    assert stage["status"] == "done"
    (entry,) = stage["result"]["attacks"]
    assert entry["status"] == "done" and entry["family"] == "backdoor"
    assert entry["access"] == "training-data" and "artifact" not in entry
    assert entry["attack_success_rate"]["value"] >= 0.9
    baseline = record["stages"]["baseline"]["result"]
    assert entry["baseline_accuracy"] == baseline["test_accuracy"]
    assert entry["n"] == baseline["dataset"]["sizes"]["test"]
    assert entry["accuracy_drop"] <= 0.03
    store = ArtifactStore(run.run_dir / "artifacts")
    assert store.has(entry["poison_artifact"]) and store.has(entry["victim_artifact"])
    assert store.meta(entry["victim_artifact"])["spec"]["poison"] == entry["poison_artifact"]
    train = load_dataset(profile_from_dict(PROFILE).dataset, seed=0).train
    poisoned = load_poisoned_set(store, entry["poison_artifact"], train)
    assert poisoned.count == entry["poison_count"] and poisoned.trigger is not None
    assert set(entry["plots"]) == {"trigger", "poisoned_examples", "per_class"}
    for path in entry["plots"].values():
        assert (run.run_dir / path).stat().st_size > 1000
    report = (run.run_dir / "report.md").read_text()
    (row,) = [line for line in report.splitlines() if line.startswith("| BadNets, 10% poisoned")]
    assert "| from scratch |" in row and " → " in row  # the victim and the target probability
    assert "Target-class probability" in (run.run_dir / "report.html").read_text()
    again = run_profile(profile_from_dict(PROFILE), out=tmp_path / "r")
    assert again.record.stages["attacks"]["result"]["attacks"][0] == entry
