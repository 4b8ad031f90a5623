"""Impact rules: how much a threat would hurt, from the asset answers.

Integrity and availability threats take their impact from how critical a wrong decision is
(lowered by human review); privacy threats from the data's sensitivity; model theft from the
model's value. A threat no impact rule touches keeps the default impact of 3.
"""

from __future__ import annotations

from safedl.threat.conditions import Rule, when
from safedl.threat.rules.helpers import impact, impact_delta

INTEGRITY = (
    "evasion-white-box",
    "evasion-score-based",
    "evasion-decision-based",
    "evasion-transfer",
    "physical-evasion",
    "data-poisoning",
    "label-manipulation",
    "backdoor",
    "model-poisoning",
    "feedback-skewing",
    "supply-chain",
    "transfer-learning",
    "output-integrity",
    "denial-of-service",
)
DATA_PRIVACY = ("membership-inference", "model-inversion")
MODEL_THEFT = ("model-extraction", "weight-theft")

IMPACT_RULES: tuple[Rule, ...] = (
    impact(
        "IM-CRITICALITY-LOW",
        INTEGRITY,
        2,
        when(all={"criticality": "low"}),
        "a wrong decision is an inconvenience",
    ),
    impact(
        "IM-CRITICALITY-MODERATE",
        INTEGRITY,
        3,
        when(all={"criticality": "moderate"}),
        "a wrong decision costs money or operations",
    ),
    impact(
        "IM-CRITICALITY-HIGH",
        INTEGRITY,
        4,
        when(all={"criticality": "high"}),
        "a wrong decision causes serious harm or legal consequences",
    ),
    impact(
        "IM-CRITICALITY-SAFETY",
        INTEGRITY,
        5,
        when(all={"criticality": "safety"}),
        "a wrong decision can injure or kill",
    ),
    impact_delta(
        "IM-HUMAN-REVIEW-ALL",
        INTEGRITY,
        -2,
        when(all={"human_oversight": "all"}),
        "a person reviews every decision before it takes effect",
    ),
    impact_delta(
        "IM-HUMAN-REVIEW-SAMPLED",
        INTEGRITY,
        -1,
        when(all={"human_oversight": "sampled"}),
        "spot checks and appeals catch some manipulated decisions",
    ),
    impact(
        "IM-DATA-PUBLIC",
        DATA_PRIVACY,
        1,
        when(all={"data_sensitivity": "public"}),
        "the training data is public already",
    ),
    impact(
        "IM-DATA-INTERNAL",
        DATA_PRIVACY,
        1,
        when(all={"data_sensitivity": "internal"}),
        "the training data is not about people: membership or inversion reveals little",
    ),
    impact(
        "IM-DATA-PERSONAL",
        DATA_PRIVACY,
        4,
        when(all={"data_sensitivity": "personal"}),
        "the training data is personal data",
    ),
    impact(
        "IM-DATA-REGULATED",
        DATA_PRIVACY,
        5,
        when(all={"data_sensitivity": "regulated"}),
        "the training data is regulated (health, biometrics, minors)",
    ),
    impact(
        "IM-MODEL-VALUE-LOW",
        MODEL_THEFT,
        1,
        when(all={"model_value": "low"}),
        "the model is a commodity",
    ),
    impact(
        "IM-MODEL-VALUE-MODERATE",
        MODEL_THEFT,
        3,
        when(all={"model_value": "moderate"}),
        "the model has competitive value",
    ),
    impact(
        "IM-MODEL-VALUE-HIGH",
        MODEL_THEFT,
        4,
        when(all={"model_value": "high"}),
        "the model is core intellectual property",
    ),
    impact_delta(
        "IM-STOLEN-MODEL-ENABLES-EVASION",
        MODEL_THEFT,
        1,
        when(all={"criticality": ("high", "safety")}, none={"model_value": "low"}),
        "a stolen copy makes every evasion attack white-box on a critical system",
    ),
)

__all__ = ["DATA_PRIVACY", "IMPACT_RULES", "INTEGRITY", "MODEL_THEFT"]
