"""The pipeline end to end, reuse, changed profiles, and a real process killed and resumed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

import safedl
from safedl.config import profile_to_yaml
from safedl.errors import RunError
from safedl.pipeline.run import run_profile
from safedl.profiles import load_profile, profile_from_dict

QUICK = {
    "name": "quick",
    "dataset": {"name": "digits"},
    "training": {"epochs": 3, "batch_size": 64, "lr": 0.003},
    "attacks": [
        {"name": "fgsm", "params": {"eps": 0.1}},
        {"name": "pgd", "params": {"eps": 0.1, "steps": 5}},
    ],
    "evaluation": {"samples": 60, "curve_samples": 30, "check_samples": 30},
}


def test_run_writes_record_report_profile_and_artifacts(tmp_path: Path) -> None:
    run = run_profile(profile_from_dict(QUICK), out=tmp_path / "r")
    d = run.run_dir
    assert {"profile.yaml", "record.json", "report.md", "artifacts", "plots"} <= {
        p.name for p in d.iterdir()
    }
    record = json.loads((d / "record.json").read_text())
    stages = record["stages"]
    assert list(stages) == [
        "threat_model",
        "baseline",
        "attacks",
        "risk",
        "defenses",
        "reevaluation",
        "deploy",
        "report",
    ]
    assert stages["baseline"]["status"] == "done"
    assert stages["threat_model"]["status"] == "skipped"  # QUICK states no threat model
    assert stages["defenses"]["status"] == "skipped" and "no defenses" in stages["defenses"]["note"]
    assert stages["deploy"]["status"] == "done" and stages["deploy"]["result"]["counts"]
    risks = stages["risk"]["result"]["risks"]
    assert stages["risk"]["status"] == "done" and len(risks) == 2
    assert all(0 <= r["score"] <= r["pessimistic_score"] <= 10 for r in risks)
    attacks = stages["attacks"]["result"]["attacks"]
    assert [a["attack"] for a in attacks] == ["fgsm", "pgd"]
    assert all(a["within_bounds"] and a["n"] == 60 for a in attacks)
    assert record["profile"]["hash"] and record["environment"]["packages"]["torch"]
    assert load_profile(d / "profile.yaml") == profile_from_dict(QUICK)
    key = stages["baseline"]["result"]["artifact"]
    assert (d / "artifacts" / f"{key}.safetensors").exists()
    plots = stages["attacks"]["result"]["plots"]
    for rel in (plots["per_class"], plots["robustness_curves"], *plots["examples"].values()):
        assert (d / rel).stat().st_size > 1000
    report = (d / "report.md").read_text()
    assert "| PGD, L∞ ε = 0.1, white-box |" in report and "Clean test accuracy" in report
    assert "DC01" in report  # the deployment checklist is a section of the report


def test_second_run_resumes_without_redoing_work(tmp_path: Path) -> None:
    first = run_profile(profile_from_dict(QUICK), out=tmp_path / "r")
    started = first.record.stages["baseline"]["started"]
    again = run_profile(profile_from_dict(QUICK), out=tmp_path / "r")
    assert again.record.data["resumed"] == 1
    assert again.record.stages["baseline"]["started"] == started
    assert again.record.stages["attacks"] == first.record.stages["attacks"]


def test_changed_profile_is_refused_in_same_dir(tmp_path: Path) -> None:
    run_profile(profile_from_dict(QUICK), out=tmp_path / "r")
    with pytest.raises(RunError, match="different profile"):
        run_profile(profile_from_dict(QUICK), out=tmp_path / "r", seed=9)


def test_default_dir_depends_on_profile_hash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    a = run_profile(profile_from_dict(QUICK))
    b = run_profile(profile_from_dict(QUICK), seed=1)
    assert a.run_dir != b.run_dir and a.run_dir.parent.name == "runs"


def test_refuses_foreign_directory(tmp_path: Path) -> None:
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "thesis.tex").write_text("precious")
    with pytest.raises(RunError, match="not a Safe-DL run directory"):
        run_profile(profile_from_dict(QUICK), out=tmp_path / "r")


def test_python_api(tmp_path: Path) -> None:
    run = safedl.run(profile_from_dict(QUICK), out=tmp_path / "r")
    record = safedl.load_record(run.run_dir)
    assert record["stages"]["attacks"]["status"] == "done"
    with pytest.raises(RunError):
        safedl.load_record(tmp_path)


def _spawn(profile: Path, out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "safedl", "run", str(profile), "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _wait_for(pred, timeout: float = 120.0) -> None:  # type: ignore[no-untyped-def]
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_killed_process_resumes_to_the_same_result(tmp_path: Path, sig: int) -> None:
    data = {**QUICK, "training": {"epochs": 40, "batch_size": 32, "lr": 0.002}}
    profile = tmp_path / "p.yaml"
    profile.write_text(profile_to_yaml(profile_from_dict(data)))
    out = tmp_path / "killed"
    proc = _spawn(profile, out)
    artifacts = out / "artifacts"
    _wait_for(lambda: artifacts.exists() and any(artifacts.glob("*.ckpt")))
    time.sleep(0.3)
    os.kill(proc.pid, sig)
    _, err = proc.communicate(timeout=60)
    if sig == signal.SIGINT:
        assert proc.returncode == 130 and b"resume" in err
        assert b"Traceback" not in err
    record = json.loads((out / "record.json").read_text())  # still valid JSON
    assert record["stages"]["baseline"]["status"] != "done"

    again = _spawn(profile, out)
    _, err = again.communicate(timeout=300)
    assert again.returncode == 0, err.decode()
    resumed = json.loads((out / "record.json").read_text())
    assert resumed["resumed"] == 1
    history = resumed["stages"]["baseline"]["result"]["training"]["history"]
    assert len(history) == resumed["stages"]["baseline"]["result"]["training"]["epochs_run"]

    # An uninterrupted run of the same profile reaches exactly the same numbers.
    clean = run_profile(profile, out=tmp_path / "clean")
    a = clean.record.stages["baseline"]["result"]
    b = resumed["stages"]["baseline"]["result"]
    assert a["artifact"] == b["artifact"]
    assert a["test_accuracy"] == b["test_accuracy"]
    assert [h["val_accuracy"] for h in a["training"]["history"]] == [
        h["val_accuracy"] for h in b["training"]["history"]
    ]
    pgd_a = clean.record.stages["attacks"]["result"]["attacks"][1]["robust_accuracy"]
    pgd_b = resumed["stages"]["attacks"]["result"]["attacks"][1]["robust_accuracy"]
    assert pgd_a == pgd_b
    assert yaml.safe_load((out / "profile.yaml").read_text())["name"] == "quick"
