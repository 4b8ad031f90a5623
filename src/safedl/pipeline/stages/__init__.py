"""The pipeline's stages, in order."""

from safedl.pipeline.stages.attacks import AttackStage
from safedl.pipeline.stages.base import NotBuiltStage, Stage, StageOutcome
from safedl.pipeline.stages.baseline import BaselineStage
from safedl.pipeline.stages.defenses import DefenseStage
from safedl.pipeline.stages.deploy import DeployStage
from safedl.pipeline.stages.reevaluation import ReEvaluationStage
from safedl.pipeline.stages.report import ReportStage
from safedl.pipeline.stages.risk import RiskStage
from safedl.pipeline.stages.threat_model import ThreatModelStage


def default_stages() -> list[Stage]:
    """Threat model → baseline → attacks → risk → defenses → re-evaluation → deploy → report."""
    return [
        ThreatModelStage(),
        BaselineStage(),
        AttackStage(),
        RiskStage(),
        DefenseStage(),
        ReEvaluationStage(),
        DeployStage(),
        ReportStage(),
    ]


__all__ = ["NotBuiltStage", "Stage", "StageOutcome", "default_stages"]
