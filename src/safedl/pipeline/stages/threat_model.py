"""Threat-model stage: until the questionnaire lands, it records what the profile states."""

from __future__ import annotations

from safedl.pipeline.context import RunContext
from safedl.pipeline.stages.base import Stage, StageOutcome


class ThreatModelStage(Stage):
    """Record the profile's threat-model inputs; the attack plan comes from the profile."""

    name = "threat_model"
    always_run = True

    def run(self, ctx: RunContext) -> StageOutcome:
        tm = ctx.profile.threat_model
        return StageOutcome(
            "skipped",
            result={"preset": tm.preset, "answers": tm.answers},
            note="threat modelling (questionnaire, attacker model, ranked threats) is not built "
            "yet; the attack plan is taken from the profile as written",
        )
