"""SARIF 2.1.0 output for code-scanning UIs (GitHub code scanning and others).

``tool.driver.rules`` is the whole checks table (id, title, criterion, fix, default level,
ATLAS / OWASP tags, a ``security-severity`` score). Results are the failed checks (with
``include_passed``, every check, using SARIF's ``kind``: pass, notApplicable for skip, review
for manual). A result has a ``physicalLocation`` for each file:line it knows; probe and record
findings have none. Paths are relative to the working directory where they lie below it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from safedl.deploy.checks_table import ATLAS_MITIGATIONS, CHECKS
from safedl.deploy.report import DeployReport
from safedl.deploy.types import CheckResult, Location, Severity, Status

SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
         Severity.LOW: "note"}  # fmt: skip
SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5",
                     Severity.LOW: "3.0"}  # fmt: skip
KIND = {Status.PASS: "pass", Status.FAIL: "fail", Status.SKIP: "notApplicable",
        Status.MANUAL: "review"}  # fmt: skip


def _rules() -> list[dict[str, Any]]:
    rules = []
    for c in CHECKS:
        refs = [f"{a} {ATLAS_MITIGATIONS.get(a, '')}".strip() for a in c.atlas]
        rules.append(
            {
                "id": c.id,
                "name": "".join(w.capitalize() for w in c.title.replace("/", " ").split())[:100],
                "shortDescription": {"text": c.title},
                "fullDescription": {"text": c.criterion},
                "help": {
                    "text": f"Fix: {c.fix}\nReferences: {', '.join(refs + list(c.owasp))}",
                    "markdown": f"**Fix:** {c.fix}\n\n**Passes when:** {c.criterion}\n\n"
                    f"**References:** {', '.join(refs + list(c.owasp)) or '—'}",
                },
                "defaultConfiguration": {"level": LEVEL[c.severity]},
                "properties": {
                    "tags": ["security", c.family, c.method.value, *c.atlas, *c.owasp],
                    "security-severity": SECURITY_SEVERITY[c.severity],
                    "precision": "high",
                },
            }
        )
    return rules


def _uri(path: str) -> str:
    p = Path(path)
    return p.as_posix() if not p.is_absolute() else p.as_uri()


def _location(loc: Location) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(loc.path)}}
    if loc.line:
        physical["region"] = {"startLine": loc.line}
    return {"physicalLocation": physical}


def _result(r: CheckResult, index: int) -> dict[str, Any]:
    text = r.evidence if r.status is not Status.FAIL else f"{r.title}: {r.evidence}"
    if r.severity_reason:
        text += f" [severity {r.default_severity.value} → {r.severity.value}: {r.severity_reason}]"
    out: dict[str, Any] = {
        "ruleId": r.id,
        "ruleIndex": index,
        "kind": KIND[r.status],
        "level": LEVEL[r.severity] if r.status is Status.FAIL else "none",
        "message": {"text": text},
        "properties": {
            "severity": r.severity.value,
            "security-severity": SECURITY_SEVERITY[r.severity],
            "status": r.status.value,
            "details": list(r.details),
            "fix": r.fix,
        },
    }
    if r.locations:
        out["locations"] = [_location(loc) for loc in r.locations]
    return out


def to_sarif(report: DeployReport, *, include_passed: bool = False) -> dict[str, Any]:
    """The report as a SARIF 2.1.0 log (a JSON-serialisable dict)."""
    index = {c.id: i for i, c in enumerate(CHECKS)}
    results = [
        _result(r, index[r.id]) for r in report.results if include_passed or r.status is Status.FAIL
    ]
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "safedl-deploy",
                        "fullName": "Safe-DL deployment checks",
                        "version": report.safedl_version or "0",
                        "rules": _rules(),
                    }
                },
                "invocations": [{"executionSuccessful": True}],
                "results": results,
                "properties": {"summary": report.counts(), "url": report.url or ""},
            }
        ],
    }


__all__ = ["to_sarif"]
