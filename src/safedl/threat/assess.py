"""From answers to a :class:`ThreatAssessment`: attacker model, ranked threats, plan and gaps."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, get_args

from safedl.threat.answers import complete, effective, gaps, parse_answers
from safedl.threat.attacker import budgets, fired_facets, strongest_knowledge
from safedl.threat.model import AttackerModel, Capability, Facet, Goal, ThreatAssessment
from safedl.threat.plan import build_plan
from safedl.threat.presets import get_preset
from safedl.threat.question import Answers
from safedl.threat.scoring import reason_for, score_threats


def resolve_answers(
    answers: Mapping[str, Any] | None = None,
    preset: str | None = None,
    *,
    require_all: bool = False,
    source: str = "<answers>",
) -> tuple[Answers, list[str]]:
    """Validate ``answers`` and complete them from ``preset``.

    Args:
        answers: raw answers (question id → value or list), overriding the preset's.
        preset: a threat-model preset name, or None.
        require_all: without a preset, every question must be answered (answers files);
            otherwise unanswered questions count as 'Don't know' (profiles).
        source: named in error messages.

    Returns:
        The complete answers and the ids of questions nobody answered.

    Raises:
        ConfigError: unknown preset, unknown question, value not allowed, or a missing answer
            when ``require_all`` applies.
    """
    given = parse_answers(answers or {}, source)
    defaults = None
    if preset is not None:
        defaults = parse_answers(get_preset(preset).answers, f"preset:{preset}")
    return complete(given, defaults, require_all=require_all and preset is None, source=source)


def attacker_model(raw: Answers, eff: Answers) -> AttackerModel:
    """The attacker model (NIST AI 100-2 terms) for raw and effective answers."""
    fired = fired_facets(eff)

    def facets(kind: str, values: Iterable[str]) -> list[Facet]:
        out = []
        for value in values:
            rules = [r for r in fired if r.target == f"{kind}:{value}"]
            if rules:
                out.append(Facet(value=value, reasons=[reason_for(r, raw) for r in rules]))
        return out

    knowledge = strongest_knowledge(fired)
    outside = any(r.id == "CAP-QUERY" for r in fired)
    response = eff["response_content"][0]
    return AttackerModel(
        goals=facets("goal", get_args(Goal)),
        knowledge=knowledge,
        knowledge_reasons=[
            reason_for(r, raw) for r in fired if r.target == f"knowledge:{knowledge}"
        ],
        query_output="none" if not outside else "labels" if response == "label" else "scores",
        capabilities=facets("capability", get_args(Capability)),
        budgets=budgets(eff, query_access=outside),
        adversaries=list(eff["adversaries"]),
        sophistication=eff["capability"][0],
    )


def assess_answers(answers: Answers, missing: Iterable[str] = ()) -> ThreatAssessment:
    """Assess complete answers (``unknown`` allowed); deterministic.

    Args:
        answers: every question's answer, as returned by :func:`resolve_answers`.
        missing: questions nobody answered (reported as gaps).
    """
    eff = effective(answers)
    attacker = attacker_model(answers, eff)
    threats = score_threats(answers, eff)
    return ThreatAssessment(
        attacker=attacker,
        threats=threats,
        plan=build_plan(threats, attacker.budgets, eff),
        gaps=gaps(answers, missing),
    )


def assess(
    answers: Mapping[str, Any] | None = None,
    preset: str | None = None,
    *,
    require_all: bool = False,
    source: str = "<answers>",
) -> ThreatAssessment:
    """Validate answers, complete them from a preset, and assess them.

    Example::

        from safedl.threat import assess
        result = assess(preset="cloud-api", answers={"rate_limit": "strict"})
        for t in result.threats:
            print(t.rank, t.id, t.level, t.atlas, t.owasp)
    """
    full, missing = resolve_answers(answers, preset, require_all=require_all, source=source)
    return assess_answers(full, missing)


__all__ = ["assess", "assess_answers", "attacker_model", "resolve_answers"]
