"""Threat modelling: questionnaire, answer → threat rules, ATLAS/OWASP mapping, attack plan.

Questions, rules, the threat catalogue and presets are data (tables in this package); the
engine matches rules against answers and ranks what they raise::

    from safedl.threat import assess
    result = assess(preset="cloud-api")
    result.attacker.knowledge          # 'grey-box'
    [t.id for t in result.threats]     # ranked by likelihood × impact
    [p.name for p in result.available()]
"""

from safedl.threat.answers import parse_answers, to_plain
from safedl.threat.assess import assess, assess_answers, resolve_answers
from safedl.threat.model import (
    AttackerModel,
    Budgets,
    Facet,
    Gap,
    PlannedAttack,
    Reason,
    Threat,
    ThreatAssessment,
)
from safedl.threat.presets import PRESETS, Preset, get_preset, preset_names
from safedl.threat.question import UNKNOWN, Answers, Choice, Question
from safedl.threat.questions import QUESTIONS, SECTIONS, question
from safedl.threat.template import example_answers

__all__ = [
    "PRESETS",
    "QUESTIONS",
    "SECTIONS",
    "UNKNOWN",
    "Answers",
    "AttackerModel",
    "Budgets",
    "Choice",
    "Facet",
    "Gap",
    "PlannedAttack",
    "Preset",
    "Question",
    "Reason",
    "Threat",
    "ThreatAssessment",
    "assess",
    "assess_answers",
    "example_answers",
    "get_preset",
    "parse_answers",
    "preset_names",
    "question",
    "resolve_answers",
    "to_plain",
]
