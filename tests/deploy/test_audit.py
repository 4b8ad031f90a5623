"""DC10: the pip-audit parser is real; the subprocess is replaced by canned runs.

``REAL_ALL_SKIPPED`` is what pip-audit 2.10 printed on this machine for a pinned file when
PyPI's vulnerability API did not know the packages: exit code 0, "No known vulnerabilities
found" — yet nothing was audited. The check must not call that a pass.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from safedl.deploy import CheckResult, DeployOptions, Status, run_checks
from safedl.deploy.audit import AuditUnavailable, parse_audit_json
from safedl.deploy.options import AuditRun

from .projects import TORCH_251_VULN, CannedAudit, audit_json

REAL_ALL_SKIPPED = (
    '{"dependencies": [{"name": "torch", "skip_reason": "Dependency not found on PyPI and could '
    'not be audited: torch (2.5.1)"}, {"name": "requests", "skip_reason": "Dependency not found '
    'on PyPI and could not be audited: requests (2.19.0)"}], "fixes": []}'
)
UNREACHABLE = AuditRun(
    returncode=1,
    stdout="",
    stderr="Traceback (most recent call last):\n ...\nrequests.exceptions.ConnectionError: "
    "HTTPSConnectionPool(host='pypi.org', port=443): Max retries exceeded with url: "
    "/pypi/torch/2.5.1/json (Caused by NameResolutionError(...))",
)


@pytest.fixture
def pinned(tmp_path: Path) -> Path:
    (tmp_path / "requirements.txt").write_text("torch==2.5.1\nnumpy==1.26.4\n")
    return tmp_path


def audit(paths: list[Path], runner: object, **kwargs: object) -> CheckResult:
    opts = DeployOptions(audit_runner=runner, **kwargs)  # type: ignore[arg-type]
    return run_checks(paths, only=["DC10"], options=opts).result("DC10")


def test_parser_reads_pip_audit_json() -> None:
    report = parse_audit_json(
        audit_json([TORCH_251_VULN, {"name": "numpy", "version": "1.26.4", "vulns": []}])
    )
    assert report.audited == (("torch", "2.5.1"), ("numpy", "1.26.4"))
    (vuln,) = report.vulnerabilities
    assert (vuln.package, vuln.id, vuln.aliases, vuln.fix_versions) == (
        "torch",
        "GHSA-53q9-r3pm-6pq6",
        ("CVE-2025-32434",),
        ("2.6.0",),
    )
    assert str(vuln) == "torch 2.5.1: GHSA-53q9-r3pm-6pq6 (CVE-2025-32434), fixed in 2.6.0"
    skipped = parse_audit_json(REAL_ALL_SKIPPED)
    assert skipped.audited == () and len(skipped.skipped) == 2
    legacy = parse_audit_json(json.dumps([{"name": "x", "version": "1", "vulns": []}]))
    assert legacy.audited == (("x", "1"),)
    for bad in ("No known vulnerabilities found", '{"x": 1}', '{"dependencies": [3]}'):
        with pytest.raises(ValueError):
            parse_audit_json(bad)


def test_vulnerabilities_fail(pinned: Path) -> None:
    runner = CannedAudit(
        {"requirements.txt": AuditRun(returncode=1, stdout=audit_json([TORCH_251_VULN]))}
    )
    r = audit([pinned], runner)
    assert r.status is Status.FAIL and "GHSA-53q9-r3pm-6pq6" in r.evidence
    (args,) = runner.calls
    assert args[:2] == ["-r", str(pinned / "requirements.txt")]
    assert "--no-deps" in args and "--disable-pip" in args and args[args.index("-f") + 1] == "json"


def test_nothing_audited_is_a_skip_not_a_pass(pinned: Path) -> None:
    runner = CannedAudit({"requirements.txt": AuditRun(returncode=0, stdout=REAL_ALL_SKIPPED)})
    r = audit([pinned], runner)
    assert r.status is Status.SKIP and "not found on PyPI" in r.evidence


def test_unreachable_database_is_a_skip(pinned: Path) -> None:
    r = audit([pinned], CannedAudit({"requirements.txt": UNREACHABLE}))
    assert r.status is Status.SKIP and "could not be reached" in r.evidence

    def timing_out(args: Sequence[str], timeout: float) -> AuditRun:
        raise AuditUnavailable(f"pip-audit did not finish within {timeout:g} s")

    r = audit([pinned], timing_out, audit={"timeout": 3})
    assert r.status is Status.SKIP and "within 3 s" in r.evidence


def test_clean_audit_passes(pinned: Path) -> None:
    clean = audit_json([{"name": "torch", "version": "2.6.0", "vulns": []}])
    r = audit([pinned], CannedAudit({"requirements.txt": AuditRun(returncode=0, stdout=clean)}))
    assert r.status is Status.PASS and "1 dependency" in r.evidence


def test_offline_disabled_and_unpinned(pinned: Path, tmp_path: Path) -> None:
    runner = CannedAudit({})
    offline = run_checks(
        [pinned], only=["DC10"], offline=True, options=DeployOptions(audit_runner=runner)
    )
    assert offline.result("DC10").status is Status.SKIP and runner.calls == []
    r = audit([pinned], runner, audit={"enabled": False})
    assert r.status is Status.SKIP and runner.calls == []
    (pinned / "requirements.txt").write_text("torch>=2.6\n")
    r = audit([pinned], runner)
    assert r.status is Status.SKIP and "not fully pinned" in " ".join(r.details)
    assert runner.calls == []


def test_without_requirements_the_environment_is_audited(tmp_path: Path) -> None:
    runner = CannedAudit({})
    r = audit([tmp_path], runner)
    assert runner.calls and "--local" in runner.calls[0] and "-r" not in runner.calls[0]
    assert r.status is Status.SKIP  # the canned environment audit listed no dependency
