"""Deployment stage: the deployment checklist on the assessed model, tied to this run's record.

Runs :func:`safedl.deploy.run_checks` offline on the run directory: the assessed artifact's
format, header and hash, and the checks the record's evidence makes more or less severe
(scores returned while membership inference or extraction succeeded, untested threats), plus
the manual items the threat model calls for. Endpoint probes and project scans need
``safedl deploy check --url ... PATH``; here they are skipped with the reason.
"""

from __future__ import annotations

from safedl.deploy import render_markdown, run_checks
from safedl.pipeline.context import RunContext
from safedl.pipeline.stages.base import Stage, StageOutcome


class DeployStage(Stage):
    """The checklist with results, as a section of the run's report."""

    name = "deploy"
    #: Cheap, and it reads every earlier stage's result.
    always_run = True

    def run(self, ctx: RunContext) -> StageOutcome:
        report = run_checks((), run_dir=ctx.run_dir, offline=True)
        worst = report.worst()
        return StageOutcome(
            "done",
            {
                "counts": report.counts(),
                "worst": worst.value if worst is not None else None,
                "checks": report.to_dict(),
                "markdown": render_markdown(report, heading_level=2),
            },
        )
