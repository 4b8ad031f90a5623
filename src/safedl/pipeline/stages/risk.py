"""Risk stage: score every attack run from its measured impact and the threat model."""

from __future__ import annotations

from typing import Any

from safedl.pipeline.context import RunContext
from safedl.pipeline.results import RiskResult, Verdict
from safedl.pipeline.stages.base import Stage, StageOutcome
from safedl.results import Finding
from safedl.risk import recommend, score_all, verdict


def risk_matrix(risks: list[dict[str, Any]]) -> list[list[int]]:
    """5 × 5 counts: rows likelihood bins (high first), columns impact bins (low first)."""
    grid = [[0] * 5 for _ in range(5)]
    for r in risks:
        row = 4 - min(4, max(0, int(r["likelihood"] * 5 - 1e-9)))
        col = min(4, max(0, int(r["impact"] * 5 - 1e-9)))
        grid[row][col] += 1
    return grid


class RiskStage(Stage):
    """Pure function of the record: rerun cheaply whenever the record changes."""

    name = "risk"
    always_run = True

    def run(self, ctx: RunContext) -> StageOutcome:
        result = ctx.record.result("attacks")
        attacks = result.get("attacks", [])
        threat = ctx.record.result("threat_model") or None
        if not attacks:
            return StageOutcome("skipped", note="no attack results to score")
        findings = [Finding.model_validate(f) for f in result.get("validity", [])]
        scored, not_scored = score_all(attacks, threat, findings)
        risks = [r.to_dict() for r in scored]
        out = RiskResult(
            threat_model_used=threat is not None,
            risks=risks,
            not_scored=not_scored,
            matrix=risk_matrix(risks),
            recommendations=recommend(risks),
            verdict=Verdict.model_validate(verdict(risks, attacks, threat)),
        )
        return StageOutcome("done", out.model_dump(mode="json"))
