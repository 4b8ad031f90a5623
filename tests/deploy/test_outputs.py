"""Report formats: SARIF 2.1.0 (validated against the official schema), JUnit XML, JSON and
Markdown."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from safedl.deploy import CHECKS, DeployReport, Status, render_markdown

SCHEMA = Path(__file__).resolve().parents[1] / "fixtures" / "deploy" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema["properties"]["version"]["enum"] == ["2.1.0"]
    validator_cls = jsonschema.validators.validator_for(schema)
    validator_cls.check_schema(schema)
    return validator_cls(schema, format_checker=jsonschema.FormatChecker())


def test_sarif_validates_against_the_official_schema(
    sarif_validator: jsonschema.protocols.Validator,
    unsafe_report: DeployReport,
    fixed_report: DeployReport,
) -> None:
    for report in (unsafe_report, fixed_report):
        for include_passed in (False, True):
            log = json.loads(json.dumps(report.to_sarif(include_passed=include_passed)))
            errors = sorted(sarif_validator.iter_errors(log), key=str)
            assert not errors, errors[0].message


def test_the_validator_rejects_a_broken_log(
    sarif_validator: jsonschema.protocols.Validator, unsafe_report: DeployReport
) -> None:
    log = unsafe_report.to_sarif()
    log["runs"][0]["results"][0]["level"] = "fatal"  # not a SARIF level
    assert list(sarif_validator.iter_errors(log))


def test_sarif_content(unsafe_report: DeployReport) -> None:
    run = unsafe_report.to_sarif()["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [c.id for c in CHECKS]
    results = run["results"]
    assert {r["ruleId"] for r in results} == {r.id for r in unsafe_report.by_status(Status.FAIL)}
    by_id = {r["ruleId"]: r for r in results}
    assert by_id["DC02"]["level"] == "error" and by_id["DC15"]["level"] == "note"
    assert rules[by_id["DC07"]["ruleIndex"]]["id"] == "DC07"
    region = [loc["physicalLocation"]["region"]["startLine"] for loc in by_id["DC07"]["locations"]]
    assert region == [5, 6]
    assert "AML.M0011" in rules[6]["properties"]["tags"]
    assert by_id["DC17"]["properties"]["severity"] == "critical"


def test_junit_parses_with_the_right_counts(
    unsafe_report: DeployReport, fixed_report: DeployReport
) -> None:
    for report in (unsafe_report, fixed_report):
        root = ET.fromstring(report.to_junit())
        suite = root.find("testsuite")
        assert suite is not None
        cases = suite.findall("testcase")
        counts = report.counts()
        assert len(cases) == int(suite.get("tests", "0")) == len(CHECKS)
        assert len([c for c in cases if c.find("failure") is not None]) == counts["fail"]
        assert int(suite.get("failures", "0")) == counts["fail"]
        skipped = [c for c in cases if c.find("skipped") is not None]
        assert len(skipped) == counts["skip"] + counts["manual"] == int(suite.get("skipped", "0"))
    failure = ET.fromstring(unsafe_report.to_junit()).find(".//testcase/failure")
    assert failure is not None and failure.get("type") in ("low", "medium", "high", "critical")


def test_json_round_trip(unsafe_report: DeployReport) -> None:
    data = json.loads(json.dumps(unsafe_report.to_dict()))
    assert data["summary"]["fail"] == 24 and data["summary"]["worst"] == "critical"
    assert [r["id"] for r in data["results"]] == [c.id for c in CHECKS]
    dc17 = next(r for r in data["results"] if r["id"] == "DC17")
    assert dc17["default_severity"] == "high" and dc17["severity"] == "critical"
    assert "AUC 0.71" in dc17["severity_reason"]


def test_markdown_section(unsafe_report: DeployReport, fixed_report: DeployReport) -> None:
    text = render_markdown(unsafe_report)
    assert text.startswith("## Deployment checks\n")
    rows = [line for line in text.splitlines() if line.startswith("| DC")]
    assert len(rows) == len(CHECKS)
    assert all(line.count(" | ") == 5 for line in rows)  # pipes inside cells are escaped
    assert "| DC07 | torch.load is called with weights_only=True | **FAIL** | critical |" in text
    assert "worst failure: **critical**" in text and "### Manual review" in text
    assert "ask for:" in text
    assert "no failure." in render_markdown(fixed_report, heading_level=3)
