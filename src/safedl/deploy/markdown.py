"""The deployment checks as a Markdown report section (standalone, or inside a run's report)."""

from __future__ import annotations

from safedl.deploy.report import DeployReport
from safedl.deploy.types import Status

_ICON = {Status.PASS: "pass", Status.FAIL: "**FAIL**", Status.SKIP: "skip", Status.MANUAL: "manual"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").strip()


def render_markdown(report: DeployReport, *, heading_level: int = 2) -> str:
    """A Markdown section: summary, the results table, and the manual review items."""
    h = "#" * heading_level
    counts = report.counts()
    worst = report.worst()
    lines = [f"{h} Deployment checks", ""]
    target = []
    if report.paths:
        target.append("paths " + ", ".join(f"`{p}`" for p in report.paths))
    if report.run_dir:
        target.append(f"run `{report.run_dir}`")
    if report.url:
        target.append(f"endpoint `{report.url}` ({report.probe_requests} probe requests)")
    if target:
        lines += ["Checked: " + "; ".join(target) + ".", ""]
    summary = (
        f"{counts['pass']} passed, {counts['fail']} failed, {counts['skip']} skipped, "
        f"{counts['manual']} for manual review"
    )
    lines += [
        summary + (f" — worst failure: **{worst.value}**." if worst else " — no failure."),
        "",
        "| id | check | status | severity | evidence | fix |",
        "|---|---|---|---|---|---|",
    ]
    for r in report.results:
        severity = r.severity.value
        if r.severity_reason:
            severity += f" (was {r.default_severity.value}: {r.severity_reason})"
        evidence = r.evidence
        if r.locations:
            evidence += " — " + ", ".join(f"`{loc}`" for loc in r.locations[:5])
        fix = r.fix if r.status in (Status.FAIL, Status.MANUAL) else ""
        lines.append(
            f"| {r.id} | {_cell(r.title)} | {_ICON[r.status]} | {_cell(severity)} | "
            f"{_cell(evidence)} | {_cell(fix)} |"
        )
    manual = report.by_status(Status.MANUAL)
    if manual:
        lines += ["", f"{h}# Manual review", ""]
        for r in manual:
            lines.append(f"- **{r.id} {r.title}**: {r.evidence}")
            lines += [f"  - {d}" for d in r.details]
    return "\n".join(lines) + "\n"


__all__ = ["render_markdown"]
