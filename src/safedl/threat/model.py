"""The output of threat modelling: attacker model, ranked threats, attack plan and gaps.

Everything here is plain data (pydantic, JSON-serialisable) so that it can be stored in the run
record and rendered by the report without re-running the assessment.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Goal = Literal["integrity", "availability", "privacy"]
Knowledge = Literal["white-box", "grey-box", "black-box-scores", "black-box-labels"]
Capability = Literal[
    "query_access",
    "input_control",
    "physical_input",
    "training_data_control",
    "label_control",
    "model_control",
]
Level = Literal["low", "medium", "high", "critical"]

#: Strongest first: a stronger level of knowledge implies every weaker one.
KNOWLEDGE_ORDER: tuple[Knowledge, ...] = (
    "white-box",
    "grey-box",
    "black-box-scores",
    "black-box-labels",
)


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Reason(_Out):
    """One rule that fired, with the answers it looked at."""

    rule: str = Field(description="Id of the rule in the rule table.")
    because: str = Field(description="Why the rule applies, in words.")
    answers: dict[str, str] = Field(
        default_factory=dict,
        description="Question id → the answer given (with the assumption for 'Don't know').",
    )
    likelihood: int | None = Field(None, description="Likelihood floor the rule sets (1-5).")
    impact: int | None = Field(None, description="Impact floor the rule sets (1-5).")
    likelihood_delta: int = 0
    impact_delta: int = 0


class Facet(_Out):
    """A value of the attacker model (a goal or a capability) and why it holds."""

    value: str
    reasons: list[Reason] = Field(default_factory=list)


class Budgets(_Out):
    """The attacker's budgets; ε in the [0, 1] pixel scale."""

    eps: dict[str, float] = Field(description="Perturbation budget per norm (linf, l2).")
    poison_fraction: float = Field(
        description="Share of the training set the attacker can poison (0 when no control)."
    )
    query_budget: int = Field(
        description="Queries one adversarial example may spend through the interface (0: none)."
    )
    extraction_queries: int = Field(
        description="Queries a client can spend in total, e.g. to steal the model (0: none)."
    )
    patch_size: float = Field(description="Side of a physical patch / shorter image side.")
    steps: int = Field(description="Iterations an attacker of this capability affords.")
    restarts: int = Field(description="Random restarts an attacker of this capability affords.")
    reasons: list[str] = Field(default_factory=list, description="Where each budget comes from.")


class AttackerModel(_Out):
    """The attacker in NIST AI 100-2 terms: goals, knowledge, capabilities and budgets."""

    goals: list[Facet]
    knowledge: Knowledge
    knowledge_reasons: list[Reason] = Field(default_factory=list)
    query_output: Literal["scores", "labels", "none"] = Field(
        description="What one query returns to the attacker (scores include top-k)."
    )
    capabilities: list[Facet]
    budgets: Budgets
    adversaries: list[str] = Field(default_factory=list)
    sophistication: str = "unknown"

    def has(self, capability: str) -> bool:
        """Whether the attacker has ``capability``."""
        return any(f.value == capability for f in self.capabilities)


class Threat(_Out):
    """One threat, scored: score = likelihood × impact (each 1-5)."""

    id: str
    title: str
    goal: Goal
    likelihood: int = Field(ge=1, le=5)
    impact: int = Field(ge=1, le=5)
    score: int = Field(ge=1, le=25)
    level: Level
    rank: int = Field(ge=1)
    atlas: list[str]
    owasp: list[str]
    reasons: list[Reason]
    attacks: list[str] = Field(
        default_factory=list, description="Attacks that simulate it (empty: no simulation)."
    )
    mitigation_note: str = ""


class PlannedAttack(_Out):
    """One attack of the plan, with the parameters derived from the budgets."""

    name: str
    params: dict[str, object]
    threat_ids: list[str]
    status: Literal["available", "unavailable"]
    reason: str


class Gap(_Out):
    """A question answered 'Don't know' (or not at all) and what was assumed instead."""

    question: str
    text: str
    assumed: list[str]
    assumption: str
    missing: bool = Field(False, description="True when the question was not answered at all.")


class ThreatAssessment(_Out):
    """Everything the threat-modelling stage produces; deterministic for given answers."""

    attacker: AttackerModel
    threats: list[Threat]
    plan: list[PlannedAttack]
    gaps: list[Gap]

    def threat(self, threat_id: str) -> Threat | None:
        """The threat with id ``threat_id``, or None when it was not raised."""
        return next((t for t in self.threats if t.id == threat_id), None)

    def available(self) -> list[PlannedAttack]:
        """Planned attacks that this installation can run."""
        return [p for p in self.plan if p.status == "available"]

    def unavailable(self) -> list[PlannedAttack]:
        """Planned attacks without a registered plugin (or with rejected params)."""
        return [p for p in self.plan if p.status == "unavailable"]


def level_of(score: int) -> Level:
    """Level of a likelihood × impact score: critical ≥ 20, high ≥ 12, medium ≥ 6, else low."""
    if score >= 20:
        return "critical"
    if score >= 12:
        return "high"
    if score >= 6:
        return "medium"
    return "low"


__all__ = [
    "KNOWLEDGE_ORDER",
    "AttackerModel",
    "Budgets",
    "Capability",
    "Facet",
    "Gap",
    "Goal",
    "Knowledge",
    "Level",
    "PlannedAttack",
    "Reason",
    "Threat",
    "ThreatAssessment",
    "level_of",
]
