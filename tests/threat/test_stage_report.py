"""The threat-model stage records the assessment; the report renders it from the record."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from safedl.errors import ConfigError
from safedl.pipeline.run import run_profile
from safedl.pipeline.stages import ThreatModelStage
from safedl.pipeline.stages.report import ReportStage
from safedl.profiles import profile_from_dict
from safedl.registry import Registry
from safedl.reporting.markdown import render_markdown

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def only_fgsm(monkeypatch: pytest.MonkeyPatch) -> None:
    """An installation where only FGSM is registered: everything else is unavailable."""
    import safedl.profiles
    import safedl.registry
    import safedl.threat.plan

    fgsm = safedl.registry.ATTACKS.get("fgsm")
    small = Registry("attack", "safedl.test-none", _plugins={"fgsm": fgsm}, _loaded=True)
    for module in (safedl.registry, safedl.threat.plan, safedl.profiles):
        monkeypatch.setattr(module, "ATTACKS", small)


def _run_stage(data: dict[str, Any]) -> Any:
    ctx: Any = SimpleNamespace(profile=profile_from_dict(data))
    return ThreatModelStage().run(ctx)


def test_stage_is_skipped_with_a_hint_when_the_profile_has_no_threat_model() -> None:
    outcome = _run_stage({"name": "x"})
    assert outcome.status == "skipped"
    assert outcome.note and "safedl threat-model" in outcome.note


def test_stage_records_the_assessment_and_what_the_profile_does_not_run(only_fgsm: None) -> None:
    outcome = _run_stage(
        {"name": "x", "threat_model": {"preset": "traffic-sign"}, "attacks": [{"name": "fgsm"}]}
    )
    assert outcome.status == "done"
    result = json.loads(json.dumps(outcome.result))  # JSON-serialisable, as the record needs
    assert result["preset"] == "traffic-sign"
    assert result["answers"]["weights_exposure"] == "on_device"
    assert result["attacker"]["knowledge"] == "white-box"
    assert result["threats"][0]["rank"] == 1
    assert result["not_in_profile"] == []  # fgsm runs; nothing else is available
    statuses = {p["name"]: p["status"] for p in result["plan"]}
    assert statuses["fgsm"] == "available"
    assert statuses["pgd"] == statuses["universal_patch"] == "unavailable"  # kept, not dropped
    with_pgd = _run_stage({"name": "x", "threat_model": {"preset": "traffic-sign"}})
    assert "fgsm" in with_pgd.result["not_in_profile"]


def test_partial_answers_without_preset_are_gaps_marked_not_answered() -> None:
    outcome = _run_stage({"name": "x", "threat_model": {"answers": {"modality": "faces"}}})
    gaps = outcome.result["gaps"]
    assert gaps and all(g["missing"] for g in gaps)
    assert "modality" not in {g["question"] for g in gaps}


def test_profile_validation_rejects_bad_threat_model() -> None:
    with pytest.raises(ConfigError) as exc:
        profile_from_dict(
            {"name": "x", "threat_model": {"preset": "trafic-sign", "answers": {"modalty": "x"}}},
            "p.yaml",
        )
    message = str(exc.value)
    assert "threat_model.preset" in message and "'traffic-sign'" in message
    assert "threat_model.answers" in message and "'modality'" in message


def test_report_shows_attacker_threats_references_unavailable_and_gaps(only_fgsm: None) -> None:
    outcome = _run_stage(
        {"name": "x", "threat_model": {"preset": "cloud-api", "answers": {"deployment": "unknown"}}}
    )
    record = {"profile": {"name": "x"}, "stages": {"threat_model": {"result": outcome.result}}}
    text = render_markdown(record)
    section = text.split("## Threat model", 1)[1].split("\n## ", 1)[0]
    assert "Knowledge: **grey-box**" in section
    assert "| 1 | Model stealing through the query interface |" in section
    assert "AML.T0024.002" in section and "ML05" in section
    assert "`query_access=public`" in section  # the answers that raised it
    assert "`knockoff`" in section and "no attack plugin" in section
    assert "`deployment`: deployed both as a public cloud API" in section


def test_report_without_threat_model_says_so() -> None:
    text = render_markdown({"profile": {"name": "x"}, "stages": {}})
    assert "## Threat model\nNo threat model was assessed" in text


def test_pipeline_runs_the_stage_into_record_and_report(tmp_path: Path) -> None:
    run = run_profile(
        ROOT / "traffic_signs_profile.yaml",
        out=tmp_path / "run",
        stages=[ThreatModelStage(), ReportStage()],
    )
    entry = run.record.stages["threat_model"]
    assert entry["status"] == "done"
    assert entry["result"]["threats"][0]["id"] in ("evasion-white-box", "physical-evasion")
    report = (tmp_path / "run" / "report.md").read_text()
    assert "## Threat model" in report and "Physical adversarial objects" in report
