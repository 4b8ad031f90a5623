"""A deployment report: every check's result, with JSON, SARIF and JUnit renderings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from safedl.deploy.types import CheckResult, Severity, Status


@dataclass(frozen=True)
class DeployReport:
    """The results of one ``safedl deploy check``, in table order."""

    results: tuple[CheckResult, ...]
    paths: tuple[str, ...] = ()
    run_dir: str | None = None
    url: str | None = None
    safedl_version: str = ""
    started: str = ""
    seconds: float = 0.0
    probe_requests: int = 0
    probe_seconds: float = 0.0

    def result(self, check_id: str) -> CheckResult:
        """The result of ``check_id`` (``KeyError`` when absent)."""
        for r in self.results:
            if r.id == check_id:
                return r
        raise KeyError(check_id)

    def by_status(self, status: Status) -> list[CheckResult]:
        return [r for r in self.results if r.status is status]

    def counts(self) -> dict[str, int]:
        return {s.value: len(self.by_status(s)) for s in Status}

    def failures(self, at_or_above: Severity = Severity.LOW) -> list[CheckResult]:
        """Failed checks whose severity is ``at_or_above`` or worse."""
        return [r for r in self.by_status(Status.FAIL) if r.severity.rank >= at_or_above.rank]

    def worst(self) -> Severity | None:
        """The highest severity among failed checks (None when nothing failed)."""
        failed = self.by_status(Status.FAIL)
        return max((r.severity for r in failed), key=lambda s: s.rank) if failed else None

    def to_dict(self) -> dict[str, Any]:
        worst = self.worst()
        return {
            "tool": "safedl deploy check",
            "safedl_version": self.safedl_version,
            "started": self.started,
            "seconds": round(self.seconds, 3),
            "targets": {"paths": list(self.paths), "run_dir": self.run_dir, "url": self.url},
            "probe": {"requests": self.probe_requests, "seconds": round(self.probe_seconds, 3)},
            "summary": {**self.counts(), "worst": worst.value if worst else None},
            "results": [r.to_dict() for r in self.results],
        }

    def to_sarif(self, *, include_passed: bool = False) -> dict[str, Any]:
        """SARIF 2.1.0 log (see :mod:`safedl.deploy.sarif`)."""
        from safedl.deploy.sarif import to_sarif

        return to_sarif(self, include_passed=include_passed)

    def to_junit(self) -> str:
        """JUnit XML (see :mod:`safedl.deploy.junit`)."""
        from safedl.deploy.junit import to_junit

        return to_junit(self)


__all__ = ["DeployReport"]
