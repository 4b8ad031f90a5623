"""Report stage: render the record into the formats the profile asks for."""

from __future__ import annotations

from safedl.atomic import atomic_write_text
from safedl.pipeline.context import RunContext
from safedl.pipeline.stages.base import Stage, StageOutcome
from safedl.reporting.markdown import render_markdown


class ReportStage(Stage):
    """Write ``report.md`` from the record alone (``record.json`` is always written)."""

    name = "report"
    always_run = True

    def run(self, ctx: RunContext) -> StageOutcome:
        written = ["record.json"]
        if "md" in ctx.profile.output.formats:
            atomic_write_text(ctx.run_dir / "report.md", render_markdown(ctx.record.data))
            written.append("report.md")
        return StageOutcome("done", {"files": written})
