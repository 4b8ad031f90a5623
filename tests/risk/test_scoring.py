"""Risk scores: bounded, explainable, recomputable; unreliable never low."""

from __future__ import annotations

import pytest

from safedl.results import Finding
from safedl.risk import band, headline, recommend, score_all, score_attack, verdict


def evasion(success: float, high: float, eps: float = 0.1, **extra: object) -> dict:
    return {
        "attack": "pgd",
        "status": "done",
        "family": "evasion",
        "access": "white-box",
        "params": {"eps": eps, "norm": "linf"},
        "attack_success_rate": {"value": success, "low": success / 2, "high": high},
        "clean_accuracy": {"value": 0.97, "low": 0.95, "high": 0.98},
        **extra,
    }


THREAT = {
    "attacker": {"knowledge": "black-box-labels", "budgets": {"eps": {"linf": 0.05}}},
    "threats": [
        {
            "id": "T-EVASION",
            "title": "evasion",
            "likelihood": 4,
            "impact": 5,
            "attacks": ["pgd", "square"],
        }
    ],
}


def test_bands() -> None:
    assert [band(x) for x in (0, 2.49, 2.5, 5, 7.49, 7.5, 10)] == [
        "low",
        "low",
        "medium",
        "high",
        "high",
        "critical",
        "critical",
    ]


def test_without_threat_model_factors_are_assumed_and_recomputable() -> None:
    risk = score_attack(0, evasion(0.9, 0.95), None)
    f = {x.name: x.value for x in risk.factors}
    assert f["likelihood"] == 0.6 and f["consequence"] == 0.6
    assert risk.score == pytest.approx(10 * 0.9 * 0.6 * 0.6, abs=0.01)
    assert risk.pessimistic_score == pytest.approx(10 * 0.95 * 0.6 * 0.6, abs=0.01)
    assert "assumed" in " ".join(x.reason for x in risk.factors)
    assert 0 <= risk.score <= risk.pessimistic_score <= 10


def test_threat_model_sets_likelihood_and_penalises_access_and_budget() -> None:
    risk = score_attack(0, evasion(1.0, 1.0, eps=0.1), THREAT)
    assert risk.threats == ["T-EVASION"]
    names = [x.name for x in risk.factors]
    assert "access" in names and "budget" in names  # white-box vs labels; 0.1 > 0.05
    assert risk.likelihood == pytest.approx(0.8 * 0.6 * 0.5)
    assert risk.consequence == pytest.approx(1.0)
    assert risk.score == pytest.approx(10 * 1.0 * 0.24 * 1.0, abs=0.01)
    within = score_attack(0, evasion(1.0, 1.0, eps=0.05), THREAT)
    assert within.score > risk.score


def test_unreliable_is_never_low_and_shows_no_score() -> None:
    failed = Finding(id="VC03", name="large eps", status="fail", finding="", model_level=True)
    r = evasion(0.01, 0.03, unit="attack-1", label="PGD, L∞ ε = 0.1, white-box")
    risk = score_attack(0, r, None, [failed])
    assert risk.score < 2.5
    assert risk.band == "high" and not risk.reliable
    assert "VC03" in risk.rating and "assume high" in risk.rating
    line = headline(risk.to_dict())
    assert "assume high" in line and "score" not in line and "/10" not in line
    # the same result on another model is not concerned by the baseline's finding
    other = score_attack(0, {**r, "model": "pgd_at"}, None, [failed])
    assert other.reliable and other.band == "low"


def test_headline_names_the_attack_as_a_person_would() -> None:
    risk = score_attack(0, evasion(0.989, 0.99, label="PGD, L∞ ε = 0.2, white-box"), None)
    line = headline(risk.to_dict())
    assert line.startswith("PGD, L∞ ε = 0.2, white-box: success rate 98.9% — ")
    assert "#" not in line


def test_ranking_and_recommendations() -> None:
    risks, not_scored = score_all(
        [evasion(0.2, 0.3), evasion(0.9, 0.95), {"attack": "fgsm", "status": "unavailable"}], None
    )
    assert [r.index for r in risks] == [1, 0] and not_scored == []
    recs = recommend([r.to_dict() for r in risks])
    assert recs[0]["defense"].startswith("adversarial training")
    assert recs[0]["risks"] == ["pgd#1", "pgd#0"]


def test_outside_the_threat_model_is_listed_not_scored() -> None:
    outside = evasion(0.9, 0.95, scope="outside_threat_model", scope_reason="no threat")
    risks, not_scored = score_all([outside, evasion(0.5, 0.6, scope="in_threat_model")], THREAT)
    assert [r.index for r in risks] == [1]
    assert not_scored == [
        {"attack": "pgd", "index": 0, "label": "pgd", "model": "baseline", "why": "no threat"}
    ]


TM = {
    "threats": [
        {"id": "T-CRIT", "title": "Model stealing", "level": "critical", "attacks": ["knockoff"]},
        {"id": "T-EVA", "title": "Evasion", "level": "high", "attacks": ["pgd"]},
        {"id": "T-LOW", "title": "Minor", "level": "low", "attacks": []},
    ],
    "plan": [
        {"name": "knockoff", "params": {}, "threat_ids": ["T-CRIT"], "status": "unavailable"},
        {"name": "pgd", "params": {}, "threat_ids": ["T-EVA"], "status": "available"},
    ],
}


def test_an_untested_critical_threat_makes_the_verdict_incomplete() -> None:
    attack = {**evasion(0.1, 0.2), "scope": "in_threat_model", "threat_ids": ["T-EVA"]}
    risks = [{"scope": "in_threat_model", "pessimistic_band": "low"}]
    v = verdict(risks, [attack], TM)
    assert not v["complete"] and v["posture"] == "low"
    assert [t["id"] for t in v["untested"]] == ["T-CRIT"]
    assert v["headline"].startswith("Incomplete") and "Model stealing" in v["headline"]
    assert "not available" in v["untested"][0]["why"]


def test_stress_tests_do_not_set_the_posture_or_test_a_threat() -> None:
    stress = {**evasion(0.9, 0.95), "scope": "stress_test", "threat_ids": ["T-EVA"]}
    risks = [{"scope": "stress_test", "pessimistic_band": "critical"}]
    tm = {**TM, "threats": TM["threats"][1:]}
    v = verdict(risks, [stress], tm)
    assert v["posture"] == "unknown" and v["stress_tests"] == 1
    assert v["untested"][0]["id"] == "T-EVA" and "stress tests" in v["untested"][0]["why"]
    tested = {**stress, "scope": "in_threat_model"}
    v2 = verdict([{"scope": "in_threat_model", "pessimistic_band": "high"}], [tested], tm)
    assert v2["complete"] and v2["posture"] == "high"


def test_a_threat_whose_access_is_removed_is_listed_as_removed_not_untested() -> None:
    note = "square needs confidence scores but output_hardening answers labels only"
    gone = {
        "attack": "square",
        "status": "not_applicable",
        "family": "evasion",
        "scope": "in_threat_model",
        "threat_ids": ["T-EVA"],
        "note": note,
    }
    tm = {**TM, "threats": TM["threats"][1:]}
    v = verdict([], [gone], tm)
    assert v["untested"] == [] and v["complete"]
    assert v["removed"] == [{"id": "T-EVA", "title": "Evasion", "level": "high", "why": note}]
    assert "Removed" in v["headline"] and "Evasion" in v["headline"]
    # a stress test beyond the attacker model does not bring the threat back
    stress = {**evasion(0.1, 0.2), "scope": "stress_test", "threat_ids": ["T-EVA"]}
    assert [t["id"] for t in verdict([], [gone, stress], tm)["removed"]] == ["T-EVA"]
    # an attack inside the threat model that still ran means it is tested, not removed
    done = {**evasion(0.1, 0.2), "scope": "in_threat_model", "threat_ids": ["T-EVA"]}
    assert verdict([], [gone, done], tm)["removed"] == []
