"""The typed results of deployment checks: severities, statuses, locations and outcomes.

A check function returns an :class:`Outcome` (what it found); the runner joins it with the
check's row of the table into a :class:`CheckResult` (what a report shows).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Severity(str, Enum):
    """How bad a failed check is, in increasing order."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_ORDER.index(self)

    def raised(self) -> Severity:
        """One level more severe (critical stays critical)."""
        return _SEVERITY_ORDER[min(self.rank + 1, len(_SEVERITY_ORDER) - 1)]

    def lowered(self) -> Severity:
        """One level less severe (low stays low)."""
        return _SEVERITY_ORDER[max(self.rank - 1, 0)]

    @classmethod
    def parse(cls, value: str) -> Severity:
        """A severity from its name; raises ``ValueError`` naming the allowed values."""
        try:
            return cls(value.lower())
        except ValueError:
            allowed = ", ".join(s.value for s in cls)
            raise ValueError(f"{value!r} is not a severity; allowed: {allowed}") from None


_SEVERITY_ORDER = (Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL)


class Status(str, Enum):
    """What a check concluded."""

    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"  # not applicable or could not be evaluated (always with the reason)
    MANUAL = "manual"  # a reviewer must decide, from the evidence the check asks for


class Method(str, Enum):
    """How a check gets its evidence."""

    STATIC = "static"  # files on disk: models, source, requirements, Dockerfile
    PROBE = "probe"  # a live endpoint (--url)
    RECORD = "record"  # the assessment's run record (--run)
    MANUAL = "manual"  # a person


@dataclass(frozen=True)
class Location:
    """Where a finding is: a file and, where known, a line (1-based)."""

    path: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass(frozen=True)
class Outcome:
    """What one check function found."""

    status: Status
    evidence: str
    details: tuple[str, ...] = ()
    locations: tuple[Location, ...] = ()
    severity: Severity | None = None  # overrides the row's severity for this finding
    severity_reason: str = ""  # why (e.g. the record's measured risk raised it)

    @classmethod
    def passed(cls, evidence: str, *, details: tuple[str, ...] = ()) -> Outcome:
        return cls(Status.PASS, evidence, details)

    @classmethod
    def failed(
        cls,
        evidence: str,
        *,
        details: tuple[str, ...] = (),
        locations: tuple[Location, ...] = (),
        severity: Severity | None = None,
        severity_reason: str = "",
    ) -> Outcome:
        return cls(Status.FAIL, evidence, details, locations, severity, severity_reason)

    @classmethod
    def skipped(cls, reason: str, *, details: tuple[str, ...] = ()) -> Outcome:
        return cls(Status.SKIP, reason, details)

    @classmethod
    def manual(cls, evidence: str, *, details: tuple[str, ...] = ()) -> Outcome:
        return cls(Status.MANUAL, evidence, details)


@dataclass(frozen=True)
class CheckResult:
    """One row of a deployment report: the check, what it concluded and why."""

    id: str
    title: str
    family: str
    method: Method
    status: Status
    severity: Severity
    default_severity: Severity
    evidence: str
    fix: str
    criterion: str
    atlas: tuple[str, ...] = ()
    owasp: tuple[str, ...] = ()
    details: tuple[str, ...] = ()
    locations: tuple[Location, ...] = field(default_factory=tuple)
    severity_reason: str = ""
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "family": self.family,
            "method": self.method.value,
            "status": self.status.value,
            "severity": self.severity.value,
            "default_severity": self.default_severity.value,
            "severity_reason": self.severity_reason,
            "evidence": self.evidence,
            "details": list(self.details),
            "locations": [{"path": loc.path, "line": loc.line} for loc in self.locations],
            "criterion": self.criterion,
            "fix": self.fix,
            "references": {"atlas": list(self.atlas), "owasp": list(self.owasp)},
            "seconds": round(self.seconds, 4),
        }


__all__ = ["CheckResult", "Location", "Method", "Outcome", "Severity", "Status"]
