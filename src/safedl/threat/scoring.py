"""Apply the rule table to answers: which threats are raised, how likely and how harmful."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from safedl.threat.answers import describe
from safedl.threat.catalog import THREATS
from safedl.threat.conditions import Rule
from safedl.threat.model import Reason, Threat, level_of
from safedl.threat.question import UNKNOWN
from safedl.threat.questions import question
from safedl.threat.rules import DEFAULT_IMPACT, RULES


def _clamp(value: int) -> int:
    return max(1, min(5, value))


def reason_for(rule: Rule, raw: Mapping[str, tuple[str, ...]], target: str = "") -> Reason:
    """A fired rule as a reason, citing the answers (as given) that its condition reads."""
    return Reason(
        rule=rule.id,
        because=rule.because,
        answers={
            q: describe(question(q), tuple(raw.get(q, (UNKNOWN,)))) for q in rule.when.questions()
        },
        likelihood=rule.likelihood if rule.raises and rule.target == target else None,
        impact=rule.impact,
        likelihood_delta=rule.likelihood_delta,
        impact_delta=rule.impact_delta,
    )


def fired_rules(
    effective: Mapping[str, tuple[str, ...]], rules: Iterable[Rule] = RULES
) -> list[Rule]:
    """The rules whose condition holds for the effective answers, in table order."""
    return [r for r in rules if r.when.matches(effective)]


def score_threats(
    raw: Mapping[str, tuple[str, ...]],
    effective: Mapping[str, tuple[str, ...]],
    rules: Iterable[Rule] = RULES,
) -> list[Threat]:
    """Every raised threat, scored and ranked (highest score first).

    Args:
        raw: the answers as given (``unknown`` kept), cited in reasons.
        effective: the answers with 'Don't know' replaced by assumptions; rules match these.
        rules: the rule table (the package's by default).
    """
    fired = fired_rules(effective, rules)
    order = {t.id: i for i, t in enumerate(THREATS)}
    threats: list[Threat] = []
    for tdef in THREATS:
        applying = [r for r in fired if tdef.id in r.applies_to()]
        raisers = [r.likelihood for r in applying if r.raises and r.target == tdef.id]
        if not raisers:
            continue
        likelihood = _clamp(
            max(v for v in raisers if v is not None) + sum(r.likelihood_delta for r in applying)
        )
        floors = [r.impact for r in applying if r.impact is not None]
        impact = _clamp(
            (max(floors) if floors else DEFAULT_IMPACT) + sum(r.impact_delta for r in applying)
        )
        score = likelihood * impact
        threats.append(
            Threat(
                id=tdef.id,
                title=tdef.title,
                goal=tdef.goal,
                likelihood=likelihood,
                impact=impact,
                score=score,
                level=level_of(score),
                rank=1,
                atlas=list(tdef.atlas),
                owasp=list(tdef.owasp),
                reasons=[reason_for(r, raw, tdef.id) for r in applying],
                attacks=list(dict.fromkeys(a.name for a in tdef.attacks)),
                mitigation_note=tdef.note,
            )
        )
    threats.sort(key=lambda t: (-t.score, -t.impact, -t.likelihood, order[t.id]))
    return [t.model_copy(update={"rank": i + 1}) for i, t in enumerate(threats)]


__all__ = ["fired_rules", "reason_for", "score_threats"]
