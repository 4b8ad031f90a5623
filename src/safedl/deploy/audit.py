"""DC10: known vulnerabilities in the dependencies, through pip-audit.

pip-audit (https://github.com/pypa/pip-audit) asks a vulnerability service (PyPI's JSON API
by default) about each dependency. Fully pinned requirements files are audited as they are
(``--no-deps --disable-pip``: nothing is resolved or installed); without requirements files,
the environment running the check is audited. When the service cannot be reached, or answers
for only some dependencies, the result is ``skip`` with the reason — never ``pass``: pip-audit
itself prints "No known vulnerabilities found" when every dependency was skipped.

The subprocess is injectable (``DeployOptions.audit_runner``), so tests feed canned output
through the real parser.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from safedl.deploy.context import CheckContext
from safedl.deploy.options import AuditRun, AuditRunner
from safedl.deploy.requirements import requirements_file
from safedl.deploy.types import Location, Outcome

NETWORK_MARKERS = (
    "connectionerror",
    "max retries",
    "name resolution",
    "nameresolutionerror",
    "temporary failure",
    "timed out",
    "timeout",
    "network is unreachable",
    "connection refused",
    "ssl",
)


class AuditUnavailable(Exception):
    """pip-audit could not run (not installed, timed out)."""


@dataclass(frozen=True)
class Vulnerability:
    package: str
    version: str
    id: str
    aliases: tuple[str, ...] = ()
    fix_versions: tuple[str, ...] = ()

    def __str__(self) -> str:
        alias = f" ({', '.join(self.aliases)})" if self.aliases else ""
        fix = f", fixed in {', '.join(self.fix_versions)}" if self.fix_versions else ", no fix yet"
        return f"{self.package} {self.version}: {self.id}{alias}{fix}"


@dataclass(frozen=True)
class AuditReport:
    """pip-audit's JSON, parsed."""

    audited: tuple[tuple[str, str], ...] = ()
    vulnerabilities: tuple[Vulnerability, ...] = ()
    skipped: tuple[tuple[str, str], ...] = field(default_factory=tuple)


def parse_audit_json(text: str) -> AuditReport:
    """Parse ``pip-audit -f json`` output (``{"dependencies": [...], "fixes": [...]}``, or the
    bare list of older releases).

    Raises:
        ValueError: ``text`` is not pip-audit JSON.
    """
    data = json.loads(text)
    deps = data.get("dependencies") if isinstance(data, dict) else data
    if not isinstance(deps, list):
        raise ValueError("no 'dependencies' list in the pip-audit output")
    audited, vulns, skipped = [], [], []
    for dep in deps:
        if not isinstance(dep, dict) or not isinstance(dep.get("name"), str):
            raise ValueError(f"unexpected dependency entry {dep!r}")
        name = dep["name"]
        if "skip_reason" in dep:
            skipped.append((name, str(dep["skip_reason"])))
            continue
        version = str(dep.get("version", ""))
        audited.append((name, version))
        for v in dep.get("vulns") or []:
            vulns.append(
                Vulnerability(
                    name,
                    version,
                    str(v.get("id", "?")),
                    tuple(str(a) for a in v.get("aliases") or ()),
                    tuple(str(f) for f in v.get("fix_versions") or ()),
                )
            )
    return AuditReport(tuple(audited), tuple(vulns), tuple(skipped))


def default_runner(args: Sequence[str], timeout: float) -> AuditRun:
    """Run pip-audit (as a module of this interpreter) with ``args``."""
    try:
        import pip_audit  # noqa: F401
    except ImportError:
        raise AuditUnavailable("pip-audit is not installed: pip install 'safedl[deploy]'") from None
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "pip_audit", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise AuditUnavailable(f"pip-audit did not finish within {timeout:g} s") from None
    return AuditRun(returncode=proc.returncode, stdout=proc.stdout, stderr=proc.stderr)


def _fully_pinned(path: Path) -> bool:
    pins = requirements_file(path)
    return bool(pins) and all(p.exact for p in pins)


def audit_targets(ctx: CheckContext) -> tuple[list[tuple[str, list[str]]], list[str]]:
    """(label, pip-audit args) to run, and notes about files that cannot be audited as is."""
    common = ["-f", "json", "--progress-spinner", "off", "--desc", "off", "--aliases", "on"]
    targets, notes = [], []
    for path in ctx.files.requirements:
        if _fully_pinned(path):
            targets.append((ctx.display(path), ["-r", str(path), "--no-deps", "--disable-pip"]))
        else:
            notes.append(
                f"{ctx.display(path)}: not fully pinned (==); pip-audit would have to resolve and "
                "install it, so it is not audited — pin it (pip-compile) to audit it"
            )
    if not ctx.files.requirements:
        targets.append((f"the environment of {sys.executable}", ["--local"]))
    return [(label, [*args, *common]) for label, args in targets], notes


def _failure_reason(run: AuditRun) -> str:
    text = (run.stderr or run.stdout).strip()
    last = text.splitlines()[-1] if text else f"exit code {run.returncode}, no output"
    if any(m in text.lower() for m in NETWORK_MARKERS):
        return f"the vulnerability database could not be reached ({last[:200]})"
    return f"pip-audit failed: {last[:200]}"


def check_dependency_audit(ctx: CheckContext) -> Outcome:
    """DC10: pip-audit finds no known vulnerability (skip when it cannot audit)."""
    if ctx.offline:
        return Outcome.skipped("offline (--offline): the vulnerability database was not queried")
    if not ctx.options.audit.enabled:
        return Outcome.skipped("the dependency audit is disabled (audit.enabled: false)")
    runner: AuditRunner = ctx.options.audit_runner or default_runner
    targets, notes = audit_targets(ctx)
    if not targets:
        return Outcome.skipped("no requirements file can be audited as is", details=tuple(notes))
    vulns: list[tuple[str, Vulnerability]] = []
    skipped: list[str] = []
    unreachable: list[str] = []
    audited = 0
    for label, args in targets:
        try:
            run = runner(args, ctx.options.audit.timeout)
        except AuditUnavailable as exc:
            unreachable.append(f"{label}: {exc}")
            continue
        try:
            report = parse_audit_json(run.stdout)
        except ValueError:
            unreachable.append(f"{label}: {_failure_reason(run)}")
            continue
        audited += len(report.audited)
        vulns += [(label, v) for v in report.vulnerabilities]
        skipped += [f"{label}: {name}: {reason}" for name, reason in report.skipped]
    details = tuple(f"{label}: {v}" for label, v in vulns) + tuple(unreachable + skipped + notes)
    if vulns:
        packages = sorted({v.package for _, v in vulns})
        return Outcome.failed(
            f"{len(vulns)} known vulnerabilit{'y' if len(vulns) == 1 else 'ies'} in "
            f"{', '.join(packages)}: {vulns[0][1]}",
            details=details,
            locations=tuple(
                Location(label)
                for label in sorted({lb for lb, _ in vulns})
                if "environment" not in label
            ),
        )
    if unreachable or skipped:
        what = unreachable[0] if unreachable else skipped[0]
        return Outcome.skipped(
            f"not audited: {what}"
            + (
                f" (+{len(unreachable) + len(skipped) - 1} more)"
                if len(unreachable) + len(skipped) > 1
                else ""
            )
            + "; no known-vulnerability claim is made",
            details=details,
        )
    if not audited:
        return Outcome.skipped("pip-audit found no dependency to audit", details=details)
    return Outcome.passed(
        f"pip-audit found no known vulnerability in {audited} dependenc"
        f"{'y' if audited == 1 else 'ies'}",
        details=details,
    )


__all__ = [
    "AuditReport",
    "AuditUnavailable",
    "Vulnerability",
    "audit_targets",
    "check_dependency_audit",
    "default_runner",
    "parse_audit_json",
]
