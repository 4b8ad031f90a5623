"""End to end: the unsafe project fails exactly the expected checks; its fixed twin passes.

Both are checked against the same run directory; the unsafe one against the failing test
server, the fixed one against the passing server. The unsafe pickle's payload would write a
marker file: it exists only after an unsafe load, never after the scan.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from safedl.deploy import CHECKS, DeployReport, Method, Severity, Status

ALL_AUTOMATED = {c.id for c in CHECKS if c.method is not Method.MANUAL}
MANUAL = {c.id for c in CHECKS if c.method is Method.MANUAL}
UNSAFE_FAILS = {f"DC{i:02d}" for i in range(1, 25)}  # every static and probe check


def test_unsafe_project_fails_exactly_the_expected_checks(unsafe_report: DeployReport) -> None:
    failed = {r.id for r in unsafe_report.by_status(Status.FAIL)}
    assert failed == UNSAFE_FAILS
    assert {r.id for r in unsafe_report.by_status(Status.PASS)} == {"DC25"}
    assert {r.id for r in unsafe_report.by_status(Status.MANUAL)} == MANUAL
    assert unsafe_report.worst() is Severity.CRITICAL
    # The record raises the output and rate-limit findings (measured privacy / extraction).
    assert unsafe_report.result("DC17").severity is Severity.CRITICAL
    assert "AUC 0.71 with scores and 0.52 with labels only" in unsafe_report.result("DC17").evidence
    assert unsafe_report.result("DC24").severity is Severity.CRITICAL
    assert "90% fidelity after 10,000 queries" in unsafe_report.result("DC24").evidence


def test_unsafe_findings_name_file_and_line(unsafe_report: DeployReport) -> None:
    torch_load = unsafe_report.result("DC07")
    assert [(Path(loc.path).name, loc.line) for loc in torch_load.locations] == [
        ("serve.py", 5),
        ("serve.py", 6),
    ]
    assert "weights_only=False" in " ".join(torch_load.details)
    assert unsafe_report.result("DC08").locations[0].line == 1
    assert "GHSA-53q9-r3pm-6pq6" in unsafe_report.result("DC10").evidence
    assert "__builtin__.exec" in unsafe_report.result("DC02").evidence or "builtins.exec" in (
        unsafe_report.result("DC02").evidence
    )
    secret = unsafe_report.result("DC06")
    assert secret.locations[0].line == 2 and "Zx8Q" not in secret.evidence  # redacted


def test_fixed_project_passes(fixed_report: DeployReport) -> None:
    assert fixed_report.by_status(Status.FAIL) == []
    assert fixed_report.worst() is None
    passed = {r.id for r in fixed_report.by_status(Status.PASS)}
    assert passed == ALL_AUTOMATED - {"DC02"}  # no pickle left to scan
    assert fixed_report.result("DC02").status is Status.SKIP


def test_every_automated_check_fails_unsafe_and_passes_fixed(
    unsafe_report: DeployReport, fixed_report: DeployReport
) -> None:
    for spec in CHECKS:
        if spec.id in UNSAFE_FAILS - {"DC02"}:
            assert unsafe_report.result(spec.id).status is Status.FAIL, spec.id
            assert fixed_report.result(spec.id).status is Status.PASS, spec.id


def test_the_pickle_never_executes_during_the_scan(
    unsafe_report: DeployReport, unsafe_project: Path, marker: Path
) -> None:
    assert unsafe_report.result("DC02").status is Status.FAIL
    assert not marker.exists()
    # The payload is live: an unsafe load in a child process writes the marker.
    code = (
        "import torch, sys; "
        f"torch.load({str(unsafe_project / 'model' / 'model.pt')!r}, weights_only=False)"
    )
    subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, timeout=120)
    try:
        assert marker.exists() and marker.read_text() == "payload ran"
    finally:
        marker.unlink(missing_ok=True)


def test_probes_stay_within_their_bounds(
    unsafe_report: DeployReport, fixed_report: DeployReport
) -> None:
    for report in (unsafe_report, fixed_report):
        assert 0 < report.probe_requests <= 60
        assert report.probe_seconds <= 20
