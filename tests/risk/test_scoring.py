"""Risk scores: bounded, explainable, recomputable; unreliable never low."""

from __future__ import annotations

import pytest

from safedl.risk import band, recommend, score_all, score_attack


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


def test_unreliable_is_never_low() -> None:
    risk = score_attack(0, evasion(0.01, 0.03, unreliable_because=["VC03"]), None)
    assert risk.score < 2.5
    assert risk.band == "high" and not risk.reliable
    assert "VC03" in risk.rating and "assume high" in risk.rating


def test_ranking_and_recommendations() -> None:
    risks = score_all(
        [evasion(0.2, 0.3), evasion(0.9, 0.95), {"attack": "fgsm", "status": "unavailable"}], None
    )
    assert [r.index for r in risks] == [1, 0]
    recs = recommend([r.to_dict() for r in risks])
    assert recs[0]["defense"].startswith("adversarial training")
    assert recs[0]["risks"] == ["pgd#1", "pgd#0"]
