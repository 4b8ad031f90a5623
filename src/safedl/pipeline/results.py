"""Typed results of each stage: what ``record.json`` holds, validated on write and on load.

The record holds outputs only. Per-attack entries come from :mod:`safedl.results` (told apart
by ``family``); validity findings are entries of their own that reference the units they
concern. The JSON Schema of the record (``safedl report schema``) is generated from these
models.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from safedl.results import AttackEntry, Finding, RateModel
from safedl.threat.model import AttackerModel, Gap, PlannedAttack, Threat


class _Result(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ThreatModelResult(_Result):
    """The threat model: attacker, ranked threats, attack plan and gaps."""

    preset: str | None = None
    answers: dict[str, Any] = Field(default_factory=dict)
    attacker: AttackerModel
    threats: list[Threat]
    plan: list[PlannedAttack]
    gaps: list[Gap]
    not_in_profile: list[str] = Field(
        default_factory=list, description="Available planned attacks this profile does not run."
    )


class BaselineResult(_Result):
    """The undefended model and its clean accuracy."""

    dataset: dict[str, Any]
    model: dict[str, Any]
    model_id: str = Field(description="Content hash of the baseline (weights and spec).")
    source: Literal["trained", "weights", "remote"]
    weights: str | None = None
    artifact: str | None = None
    reused: bool | None = None
    training: dict[str, Any] | None = None
    test_accuracy: RateModel
    per_class_accuracy: dict[str, float] = Field(default_factory=dict)
    accuracy_measured_on: str | None = Field(
        None, description="For a served target: the images its clean accuracy was measured on."
    )
    queries: int | None = Field(None, description="For a served target: queries this stage sent.")


class LeftOut(_Result):
    """A planned attack that this run does not execute, and why."""

    name: str
    params: dict[str, Any] = Field(default_factory=dict)
    threat_ids: list[str] = Field(default_factory=list)
    why: str


class AttacksResult(_Result):
    """Every attack run, the analyses derived from them, and what was left out."""

    plan_source: Literal["profile", "threat_model"] = "profile"
    attacks: list[AttackEntry]
    left_out: list[LeftOut] = Field(default_factory=list)
    worst_case: list[dict[str, Any]] = Field(default_factory=list)
    curves: list[dict[str, Any]] = Field(default_factory=list)
    validity: list[Finding] = Field(default_factory=list)
    reliable: bool = True
    escalation: dict[str, Any] | None = Field(
        None,
        description="When a validity check found masked gradients: the extra attacks run "
        "(Square at full budget, transfer, BPDA where declared) and why.",
    )
    plots: dict[str, Any] = Field(default_factory=dict)
    skipped: dict[str, str] = Field(
        default_factory=dict,
        description="Analyses this run could not make (curves, validity) and why — e.g. a "
        "served target gives no white-box access.",
    )


class Verdict(_Result):
    """The posture, counting what was not tested."""

    posture: Literal["low", "medium", "high", "critical", "unknown"]
    complete: bool
    headline: str
    untested: list[dict[str, Any]] = Field(
        default_factory=list, description="Threats of level high or critical no attack tested."
    )
    removed: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Threats whose attacks are not applicable: the model no longer grants "
        "the access they need (an output defense).",
    )
    stress_tests: int = 0
    outside_threat_model: int = 0


class RiskResult(_Result):
    """Risk scores, the risk matrix, recommendations and the verdict."""

    threat_model_used: bool
    risks: list[dict[str, Any]]
    not_scored: list[dict[str, Any]] = Field(default_factory=list)
    matrix: list[list[int]]
    recommendations: list[dict[str, Any]]
    verdict: Verdict


class DefenseEntry(_Result):
    """One applied defense: what it declares for its re-evaluation, its metrics, its cost."""

    model: str
    defense: str
    kind: str
    params: dict[str, Any]
    model_id: str
    artifact: str | None = None
    adaptive_needs: dict[str, Any]
    cost: dict[str, Any]
    metrics: dict[str, Any] = Field(default_factory=dict)


class DefensesResult(_Result):
    defenses: list[DefenseEntry]
    measured_against_poisons: list[str] = Field(
        default_factory=list,
        description="Poisoning and backdoor defenses: measured in the re-evaluation against "
        "the run's poisoned victims, not applied to the clean baseline.",
    )
    chosen_by: dict[str, Any] | None = Field(
        None, description="With 'defenses: recommended': the recommendation that was followed."
    )


class ReEvaluatedModel(_Result):
    """One defended model re-attacked: entries, per-budget worst cases and mitigation."""

    defense: str
    model: str
    model_id: str
    attacks: list[AttackEntry]
    validity: list[Finding] = Field(default_factory=list)
    budgets: list[dict[str, Any]] = Field(
        description="Per (norm, ε): baseline, non-adaptive and adaptive worst-case robust "
        "accuracy, the paired change with McNemar's p-value, the adaptive cascade."
    )
    clean: dict[str, Any]
    adaptive_needs: dict[str, Any]
    skipped: list[dict[str, Any]] = Field(default_factory=list)
    privacy: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Per privacy or stealing threat: the worst case before and after, the change.",
    )
    mitigation_claim: dict[str, Any] | None = Field(
        None, description="For an output defense: whether a risk may be called mitigated."
    )
    residual_risks: list[dict[str, Any]] = Field(default_factory=list)
    posture_after: dict[str, Any] = Field(default_factory=dict)


class ReEvaluationResult(_Result):
    models: list[ReEvaluatedModel]
    plot: str | None = Field(None, description="Clean vs worst-case robust accuracy figure.")
    poisoning: dict[str, Any] | None = Field(
        None,
        description="Attacks × poisoning defenses (BackdoorBench-style): per pair clean "
        "accuracy and attack success before and after, detection precision and recall "
        "against the stored poison indices, cost, figures.",
    )


class DeployResult(_Result):
    """The deployment checklist run on this run's record and artifact."""

    counts: dict[str, int]
    worst: str | None = None
    checks: dict[str, Any]
    markdown: str


class ReportResult(_Result):
    files: list[str]


#: The typed result of each stage, by stage name (stages not listed hold a free-form result).
STAGE_RESULTS: dict[str, type[BaseModel]] = {
    "threat_model": ThreatModelResult,
    "baseline": BaselineResult,
    "attacks": AttacksResult,
    "risk": RiskResult,
    "defenses": DefensesResult,
    "reevaluation": ReEvaluationResult,
    "deploy": DeployResult,
    "report": ReportResult,
}

__all__ = [
    "STAGE_RESULTS",
    "AttacksResult",
    "BaselineResult",
    "DefenseEntry",
    "DefensesResult",
    "LeftOut",
    "ReEvaluatedModel",
    "ReEvaluationResult",
    "ReportResult",
    "RiskResult",
    "ThreatModelResult",
    "Verdict",
]
