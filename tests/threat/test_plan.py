"""The attack plan follows from threats and budgets; nothing is dropped; params validate."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safedl.registry import ATTACKS
from safedl.threat import QUESTIONS, ThreatAssessment, assess_answers
from safedl.threat.answers import effective
from safedl.threat.attacker import EPS_BY_MODALITY, STRENGTH
from safedl.threat.catalog import THREATS, threat_def
from safedl.threat.model import KNOWLEDGE_ORDER, level_of
from safedl.threat.plan import PLANNED_LEVELS, budget_values, check_available, fill
from safedl.threat.question import UNKNOWN, Answers

from .helpers import BASE

SCORE_BASED = {"square", "nes", "spsa"}
WHITE_BOX = {"fgsm", "pgd", "apgd_ce", "apgd_dlr", "cw", "deepfool"}


def _with(**changes: Any) -> Answers:
    return {**BASE, **{k: (v,) if isinstance(v, str) else tuple(v) for k, v in changes.items()}}


def test_templates_use_only_defined_placeholders() -> None:
    budgets = assess_answers(BASE).attacker.budgets
    names = set(budget_values(budgets))
    for t in THREATS:
        for template in t.attacks:
            for v in template.params.values():
                if isinstance(v, str) and v.startswith("$"):
                    assert v in names, (t.id, template.name, v)


@pytest.mark.parametrize("modality", sorted(EPS_BY_MODALITY))
@pytest.mark.parametrize("capability", sorted(STRENGTH))
def test_every_registered_template_validates(modality: str, capability: str) -> None:
    answers = _with(modality=modality, capability=capability, query_access="public")
    budgets = assess_answers(answers).attacker.budgets
    values = budget_values(budgets)
    checked = 0
    for t in THREATS:
        for template in t.attacks:
            if template.name in ATTACKS:
                status, reason = check_available(template.name, fill(template.params, values))
                assert status == "available", reason
                checked += 1
    assert checked >= 4  # fgsm and pgd at least


def test_rejected_params_are_reported_as_a_bug_not_dropped() -> None:
    status, reason = check_available("pgd", {"eps": 0.1, "stepz": 3})
    assert status == "unavailable"
    assert "rejected" in reason and "bug" in reason and "stepz" in reason
    status, reason = check_available("no_such_attack", {})
    assert status == "unavailable" and "not registered" not in reason
    assert "no attack plugin named 'no_such_attack'" in reason


def test_label_only_attacker_gets_label_only_attacks() -> None:
    exposed = {"query_access": "public", "input_control": "digital", "criticality": "high"}
    r = assess_answers(_with(**exposed, response_content="label", human_oversight="none"))
    assert r.attacker.knowledge == "black-box-labels" and r.attacker.query_output == "labels"
    names = {p.name for p in r.plan}
    assert "hopskipjump" in names
    assert not (SCORE_BASED | WHITE_BOX) & names
    scores = assess_answers(_with(**exposed, response_content="scores", human_oversight="none"))
    assert {p.name for p in scores.plan} >= SCORE_BASED


@pytest.mark.parametrize(
    ("changes", "fraction"),
    [
        ({}, 0.005),
        ({"data_sources": ["internal", "scraped"]}, 0.01),
        ({"data_sources": ["user_contributed"]}, 0.05),
        ({"labeling": ["crowd"]}, 0.1),
    ],
)
def test_poison_budget_sets_the_planned_poison_fraction(
    changes: dict[str, Any], fraction: float
) -> None:
    answers = _with(criticality="safety", human_oversight="none", input_control="digital")
    r = assess_answers({**answers, **_with(**changes)} if changes else answers)
    assert r.attacker.budgets.poison_fraction == fraction
    for p in r.plan:
        if "poison_fraction" in p.params:
            assert p.params["poison_fraction"] == fraction


def _victims(r: ThreatAssessment, name: str) -> set[str]:
    return {p.params.get("victim_training", "scratch") for p in r.plan if p.name == name}


def test_victim_training_follows_how_the_model_learns() -> None:
    open_data = {
        "criticality": "safety",
        "human_oversight": "none",
        "data_sources": ["user_contributed", "feedback_loop"],
    }
    r = assess_answers(_with(**open_data))
    assert _victims(r, "feature_collision") == {"scratch"}
    assert "fine-tune" in _victims(r, "label_flip")  # the feedback loop updates the model
    backbone = assess_answers(_with(**open_data, third_party="pretrained"))
    assert _victims(backbone, "feature_collision") == {"scratch", "last-layer"}
    (frozen,) = [
        p
        for p in backbone.plan
        if p.name == "feature_collision" and p.params.get("victim_training") == "last-layer"
    ]
    assert frozen.status == "available" and frozen.threat_ids == ["data-poisoning"]


def test_low_threats_are_not_planned_and_medium_ones_are() -> None:
    r = assess_answers(_with(query_access="internal", response_content="label"))
    membership = r.threat("membership-inference")
    assert membership is not None and membership.level == "low"
    assert all("membership-inference" not in p.threat_ids for p in r.plan)


def _check_invariants(r: ThreatAssessment, answers: Answers) -> None:
    assert [t.rank for t in r.threats] == list(range(1, len(r.threats) + 1))
    assert [t.score for t in r.threats] == sorted((t.score for t in r.threats), reverse=True)
    for t in r.threats:
        assert t.score == t.likelihood * t.impact and t.level == level_of(t.score)
        assert any(reason.likelihood is not None for reason in t.reasons)
    planned_threats = {t.id: t for t in r.threats if t.level in PLANNED_LEVELS}
    keys = [(p.name, json.dumps(p.params, sort_keys=True)) for p in r.plan]
    assert len(keys) == len(set(keys))
    for p in r.plan:
        assert p.threat_ids and set(p.threat_ids) <= set(planned_threats)
        assert p.status == ("available" if p.name in ATTACKS else "unavailable"), p.reason
    eff = effective(answers)
    for t in planned_threats.values():  # never silently dropped
        for template in threat_def(t.id).attacks:
            if template.when.matches(eff):
                assert any(p.name == template.name and t.id in p.threat_ids for p in r.plan)
    names = {p.name for p in r.plan}
    if r.attacker.knowledge != "white-box":
        assert not WHITE_BOX & names
    if r.attacker.query_output != "scores":
        assert not SCORE_BASED & names
    if r.threat("evasion-white-box"):
        assert r.attacker.knowledge == "white-box"
    assert r.attacker.knowledge in KNOWLEDGE_ORDER
    assert {g.question for g in r.gaps} == {q for q, v in answers.items() if v == (UNKNOWN,)}


def _in_order(order: tuple[str, ...], chosen: list[str]) -> tuple[str, ...]:
    return tuple(v for v in order if v in chosen)


def _answer_strategy() -> st.SearchStrategy[Answers]:
    parts: dict[str, st.SearchStrategy[tuple[str, ...]]] = {}
    for q in QUESTIONS:
        if q.multi:
            plain = [c.value for c in q.choices if c.value not in q.exclusive]
            subsets = st.lists(st.sampled_from(plain), min_size=1, unique=True).map(
                partial(_in_order, q.values)
            )
            singles = st.sampled_from([(UNKNOWN,), *((v,) for v in q.exclusive)])
            parts[q.id] = st.one_of(subsets, singles)
        else:
            parts[q.id] = st.sampled_from([(v,) for v in q.values])
    return st.fixed_dictionaries(parts)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_answer_strategy())
def test_any_answers_give_a_consistent_deterministic_assessment(answers: Answers) -> None:
    r = assess_answers(answers)
    _check_invariants(r, answers)
    again = assess_answers(dict(answers))
    assert again.model_dump_json() == r.model_dump_json()
    json.loads(r.model_dump_json())
