"""The one record accessor: the real demo record's format, privacy and extraction results
(families being added), and the record-only checks (DC25) and manual items (DC26–DC29)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from safetensors.torch import save_file

from safedl.deploy import Evidence, Status, run_checks
from safedl.errors import RunError

from .projects import make_run_dir, state_dict, synthetic_record

DEMO_RECORD = Path(__file__).resolve().parents[1] / "fixtures" / "deploy" / "demo-record.json"
DEMO_ARTIFACT = "model-47a2dde721b32e275725"


@pytest.fixture
def demo_run(tmp_path: Path) -> Path:
    """A run directory holding the demo's (trimmed) record and an artifact under its key."""
    shutil.copyfile(DEMO_RECORD, tmp_path / "record.json")
    (tmp_path / "artifacts").mkdir()
    save_file(state_dict(), str(tmp_path / "artifacts" / f"{DEMO_ARTIFACT}.safetensors"))
    return tmp_path


def test_reads_the_demo_record(demo_run: Path) -> None:
    ev = Evidence.from_run_dir(demo_run)
    artifact = ev.assessed_artifact()
    assert artifact is not None and artifact.key == DEMO_ARTIFACT and len(artifact.sha256) == 64
    assert ev.input_shape() == (1, 8, 8) and ev.num_classes() == 10
    threats = ev.threats()
    assert threats[0].id == "model-extraction" and threats[0].level == "critical"
    assert [t.level for t in threats] == sorted(
        (t.level for t in threats), key=("low", "medium", "high", "critical").index, reverse=True
    )
    policy = ev.query_policy()
    assert (policy.response_content, policy.query_output) == ("top_k", "scores")
    assert (policy.query_access, policy.rate_limit) == ("public", "moderate")
    assert (policy.queries_per_example, policy.extraction_queries) == (5000, 10000)
    attacks = ev.attacks()
    assert [a.attack for a in attacks] == ["fgsm", "pgd", "pgd", "pgd", "square"]
    square = attacks[-1]
    assert square.done and square.access == "scores" and square.queries == 18614
    assert square.success_rate is not None and square.success_rate.low is not None
    assert ev.membership() == (None, None) and ev.extraction() is None
    model_stealing = next(p for p in ev.plan() if p.name == "model_stealing")
    assert (
        model_stealing.status == "unavailable" and "model-extraction" in model_stealing.threat_ids
    )
    assert ("pgd", "medium", 3.56) in ev.risk_levels()


def test_demo_run_checks(demo_run: Path) -> None:
    report = run_checks([], run_dir=demo_run, offline=True)
    coverage = report.result("DC25")
    assert coverage.status is Status.FAIL and "model-extraction" in coverage.evidence
    assert "no attack plugin named 'model_stealing'" in " ".join(coverage.details)
    assert "denial-of-service (high): not simulated; covered by DC18, DC24" in coverage.details
    assert report.result("DC04").status is Status.PASS  # the run's artifact checked against itself
    assert report.result("DC03").status is Status.PASS
    manual = {r.id for r in report.by_status(Status.MANUAL)}
    assert manual == {"DC26", "DC27", "DC28", "DC29"}


def test_privacy_and_extraction_results(tmp_path: Path) -> None:
    ev = Evidence.from_run_dir(make_run_dir(tmp_path))
    scores, labels = ev.membership()
    assert scores is not None and scores.attack == "loss_threshold" and scores.auc is not None
    assert (scores.auc.value, scores.auc.low, scores.auc.high) == (0.71, 0.66, 0.76)
    assert labels is not None and labels.label_only and labels.auc is not None
    assert labels.auc.value == 0.52
    extraction = ev.extraction()
    assert extraction is not None and extraction.fidelity is not None
    assert (extraction.fidelity.value, extraction.queries) == (0.9, 10000)
    assert str(extraction.fidelity) == "0.90 [0.87, 0.92]"


def test_results_in_the_privacy_modules_format(tmp_path: Path) -> None:
    """Privacy entries store ``auc`` as a number and ``auc_ci`` beside it; results measured
    on another model under test (a defended one) are not evidence about the assessed one."""
    record = synthetic_record()
    attacks = record["stages"]["attacks"]["result"]["attacks"]
    attacks[1].update(auc=0.64, auc_ci=[0.6, 0.68], model="baseline", model_id="ab12")
    attacks.append({**attacks[1], "auc": 0.9, "model": "defense:dp_sgd"})
    attacks.append({**attacks[3], "fidelity": {"value": 0.99}, "model": "defense:dp_sgd"})
    ev = Evidence.from_run_dir(make_run_dir(tmp_path, record))
    scores, _ = ev.membership()
    assert scores is not None and scores.auc is not None
    assert (scores.auc.value, scores.auc.low, scores.auc.high) == (0.64, 0.6, 0.68)
    extraction = ev.extraction()
    assert extraction is not None and extraction.fidelity is not None
    assert extraction.fidelity.value == 0.9 and extraction.model == "baseline"


def test_failed_or_missing_results_are_not_evidence(tmp_path: Path) -> None:
    record = synthetic_record()
    for a in record["stages"]["attacks"]["result"]["attacks"]:
        a["status"] = "failed"
    ev = Evidence.from_run_dir(make_run_dir(tmp_path / "a", record))
    assert ev.membership() == (None, None) and ev.extraction() is None
    report = run_checks([], run_dir=tmp_path / "a", only=["DC25"])
    assert report.result("DC25").status is Status.FAIL  # planned but nothing finished
    ev = Evidence.from_run_dir(make_run_dir(tmp_path / "b", {"stages": {}}))
    assert ev.threats() == [] and ev.attacks() == [] and ev.assessed_artifact() is None
    assert (
        run_checks([], run_dir=tmp_path / "b", only=["DC25"]).result("DC25").status is Status.SKIP
    )
    model = tmp_path / "m.safetensors"
    save_file(state_dict(), str(model))
    pin = run_checks([model], run_dir=tmp_path / "b", only=["DC04"]).result("DC04")
    assert pin.status is Status.SKIP and "names no assessed artifact" in pin.evidence


def test_weights_path_instead_of_artifact_key(tmp_path: Path) -> None:
    record: dict[str, Any] = {
        "stages": {"baseline": {"result": {"weights": "w/model.safetensors"}}}
    }
    (tmp_path / "w").mkdir()
    save_file(state_dict(), str(tmp_path / "w" / "model.safetensors"))
    (tmp_path / "record.json").write_text(json.dumps(record))
    artifact = Evidence.from_run_dir(tmp_path).assessed_artifact()
    assert (
        artifact is not None and artifact.key is None and artifact.path.name == "model.safetensors"
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no record.json here"),
        ("{not json", "cannot read the run record"),
        ("[1, 2]", "not a Safe-DL run record"),
    ],
)
def test_bad_run_directories(tmp_path: Path, content: str | None, message: str) -> None:
    if content is not None:
        (tmp_path / "record.json").write_text(content)
    with pytest.raises(RunError, match=message):
        Evidence.from_run_dir(tmp_path)
    with pytest.raises(RunError, match="no such run directory"):
        Evidence.from_run_dir(tmp_path / "missing")


def test_manual_items_follow_the_threat_model(tmp_path: Path) -> None:
    without_run = run_checks([tmp_path], only=["DC26", "DC27", "DC28", "DC29"])
    assert {r.status for r in without_run.results} == {Status.MANUAL}
    assert all(any(d.startswith("ask for:") for d in r.details) for r in without_run.results)
    record = synthetic_record()
    threats = record["stages"]["threat_model"]["result"]["threats"]
    threats[:] = [t for t in threats if t["id"] == "model-extraction"]
    run = make_run_dir(tmp_path / "run", record)
    report = run_checks([], run_dir=run, only=["DC26", "DC27", "DC28", "DC29"])
    status = {r.id: r.status for r in report.results}
    assert status == {
        "DC26": Status.MANUAL,  # a critical threat calls for incident response
        "DC27": Status.SKIP,  # no training-data threat
        "DC28": Status.SKIP,  # no privacy-of-data threat
        "DC29": Status.MANUAL,  # extraction calls for access reviews
    }
    assert "model-extraction (critical)" in report.result("DC29").evidence
