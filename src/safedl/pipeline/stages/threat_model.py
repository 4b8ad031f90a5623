"""Threat-model stage: assess the profile's threat model and record it.

The assessment (attacker model, ranked threats, attack plan, gaps) goes into the record. It does
not change what this run executes: the profile's ``attacks`` is the plan that runs, and
``safedl threat-model`` is what writes a plan into a profile. The record therefore also lists
the available planned attacks that this profile does not run.
"""

from __future__ import annotations

import logging

from safedl.pipeline.context import RunContext
from safedl.pipeline.stages.base import Stage, StageOutcome
from safedl.profiles import assess_profile
from safedl.threat.answers import to_plain
from safedl.threat.assess import resolve_answers

log = logging.getLogger(__name__)

SKIP_NOTE = (
    "the profile states no threat model; add one with `safedl threat-model --base PROFILE "
    "--out NEW.yaml`, or set threat_model.preset (see `safedl threat-model presets`)"
)


class ThreatModelStage(Stage):
    """Compute the assessment from ``threat_model`` (preset and/or answers) into the record."""

    name = "threat_model"
    #: Cheap, and the registry (which planned attacks are available) may change on a resume.
    always_run = True

    def run(self, ctx: RunContext) -> StageOutcome:
        profile = ctx.profile
        assessment = assess_profile(profile)
        if assessment is None:
            return StageOutcome("skipped", note=SKIP_NOTE)
        tm = profile.threat_model
        answers, _ = resolve_answers(tm.answers, tm.preset, source="threat_model.answers")
        running = {spec.name for spec in profile.attacks}
        not_run = [p.name for p in assessment.available() if p.name not in running]
        log.info(
            "threat model: %d threats, %d planned attacks (%d unavailable), %d gaps",
            len(assessment.threats),
            len(assessment.plan),
            len(assessment.unavailable()),
            len(assessment.gaps),
        )
        result = {
            "preset": tm.preset,
            "answers": to_plain(answers),
            **assessment.model_dump(mode="json"),
            "not_in_profile": sorted(set(not_run)),
        }
        return StageOutcome("done", result)
