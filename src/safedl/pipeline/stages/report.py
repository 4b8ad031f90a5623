"""Report stage: render the record into the formats the profile asks for."""

from __future__ import annotations

from safedl.pipeline.context import RunContext
from safedl.pipeline.stages.base import Stage, StageOutcome
from safedl.reporting.render import write_reports


class ReportStage(Stage):
    """Write ``report.md`` / ``report.html`` from the record alone (``record.json`` always)."""

    name = "report"
    always_run = True

    def run(self, ctx: RunContext) -> StageOutcome:
        formats = [f for f in ctx.profile.output.formats if f != "json"]
        written = write_reports(ctx.record.data, ctx.run_dir, formats)
        return StageOutcome("done", {"files": ["record.json", *written]})
