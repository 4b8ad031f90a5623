"""Every rule of every table fires when (and only when) its condition holds, and says why."""

from __future__ import annotations

import pytest

from safedl.threat import assess_answers
from safedl.threat.answers import effective
from safedl.threat.attacker import FACET_RULES, fired_facets
from safedl.threat.catalog import ATLAS, OWASP_ML_TOP10, THREATS
from safedl.threat.conditions import Rule, when
from safedl.threat.presets import PRESETS
from safedl.threat.question import UNKNOWN, Answers
from safedl.threat.questions import QUESTIONS, question
from safedl.threat.rules import RULES
from safedl.threat.scoring import fired_rules, score_threats

from .helpers import BASE, satisfy

THREAT_IDS = {t.id for t in THREATS}


def _answer_sets() -> list[Answers]:
    presets = [
        {k: tuple(v) if isinstance(v, list) else (v,) for k, v in p.answers.items()}
        for p in PRESETS.values()
    ]
    steal_only = {**BASE, "aims": ("steal",)}
    return [BASE, steal_only, effective({q.id: (UNKNOWN,) for q in QUESTIONS}), *presets]


def _answers_for(rule: Rule) -> Answers:
    """Answers under which ``rule`` fires and (for a modifier) a threat it adjusts is raised."""
    mine = satisfy(rule.when)
    if rule.raises or rule.target.count(":"):
        return mine
    for target in rule.applies_to():
        for raiser in (r for r in RULES if r.raises and r.target == target):
            both = satisfy(rule.when, satisfy(raiser.when, mine))
            if rule.when.matches(both) and raiser.when.matches(both):
                return both
    raise AssertionError(f"no raising rule is compatible with modifier {rule.id}")


def test_rule_ids_are_unique_and_targets_exist() -> None:
    ids = [r.id for r in (*RULES, *FACET_RULES)]
    assert len(ids) == len(set(ids))
    for rule in RULES:
        assert set(rule.applies_to()) <= THREAT_IDS, rule.id
        assert rule.because and rule.when.questions(), rule.id
        for qid, values in (*rule.when.all, *rule.when.any, *rule.when.none):
            assert set(values) <= set(question(qid).values), (rule.id, qid, values)


def test_every_threat_has_a_raising_rule_and_valid_references() -> None:
    raised = {r.target for r in RULES if r.raises}
    assert raised == THREAT_IDS
    for t in THREATS:
        assert t.atlas or t.owasp, t.id
        assert set(t.atlas) <= set(ATLAS), t.id
        assert set(t.owasp) <= set(OWASP_ML_TOP10), t.id


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_threat_rule_fires_with_its_answers(rule: Rule) -> None:
    answers = _answers_for(rule)
    assert rule.when.matches(answers)
    result = assess_answers(answers)
    for target in rule.applies_to():
        threat = result.threat(target)
        if threat is None:
            assert not rule.raises, f"{rule.id} should raise {target}"
            continue
        reason = next((r for r in threat.reasons if r.rule == rule.id), None)
        assert reason is not None, f"{rule.id} missing from the reasons of {target}"
        assert set(reason.answers) == set(rule.when.questions())
        if rule.raises and target == rule.target:
            assert reason.likelihood == rule.likelihood
        assert reason.likelihood_delta == rule.likelihood_delta
        assert reason.impact == rule.impact
    assert any(result.threat(t) for t in rule.applies_to())


@pytest.mark.parametrize("rule", [*RULES, *FACET_RULES], ids=lambda r: r.id)
def test_rule_does_not_fire_everywhere(rule: Rule) -> None:
    assert any(not rule.when.matches(a) for a in _answer_sets()), rule.id


@pytest.mark.parametrize("rule", FACET_RULES, ids=lambda r: r.id)
def test_attacker_rule_sets_its_facet(rule: Rule) -> None:
    answers = satisfy(rule.when)
    assert rule in fired_facets(answers)
    attacker = assess_answers(answers).attacker
    kind, value = rule.target.split(":", 1)
    if kind == "goal":
        facet = next(g for g in attacker.goals if g.value == value)
        assert rule.id in [r.rule for r in facet.reasons]
    elif kind == "capability":
        facet = next(c for c in attacker.capabilities if c.value == value)
        assert rule.id in [r.rule for r in facet.reasons]
    else:  # knowledge: at least this strong
        from safedl.threat.model import KNOWLEDGE_ORDER

        assert KNOWLEDGE_ORDER.index(attacker.knowledge) <= KNOWLEDGE_ORDER.index(value)


def test_combination_takes_highest_floor_plus_deltas_clamped() -> None:
    t = "evasion-white-box"
    rules = [
        Rule("A", when(), "a", target=t, likelihood=2),
        Rule("B", when(), "b", target=t, likelihood=4),
        Rule("C", when(), "c", targets=(t,), likelihood_delta=3),
        Rule("D", when(), "d", targets=(t,), impact=2),
        Rule("E", when(), "e", targets=(t,), impact=4),
        Rule("F", when(), "f", targets=(t,), impact_delta=-1),
        Rule("G", when(all={"capability": "high"}), "g", targets=(t,), likelihood_delta=-4),
    ]
    (threat,) = score_threats(BASE, BASE, rules)
    assert (threat.likelihood, threat.impact) == (5, 3)  # min(4 + 3, 5); max(2, 4) - 1
    assert threat.score == 15 and threat.level == "high"
    assert [r.rule for r in threat.reasons] == ["A", "B", "C", "D", "E", "F"]


def test_modifier_alone_raises_nothing_and_default_impact_is_three() -> None:
    t = "backdoor"
    only_delta = [Rule("X", when(), "x", targets=(t,), likelihood_delta=2)]
    assert score_threats(BASE, BASE, only_delta) == []
    (threat,) = score_threats(BASE, BASE, [Rule("Y", when(), "y", target=t, likelihood=1)])
    assert (threat.likelihood, threat.impact, threat.level) == (1, 3, "low")


def test_baseline_raises_only_the_vetted_data_floor() -> None:
    fired = {r.id for r in fired_rules(BASE)}
    raising = {r.id for r in RULES if r.raises and r.id in fired}
    assert raising == {"TR-POISON-VETTED-ONLY"}
