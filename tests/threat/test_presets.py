"""Each preset is a complete answer set and yields its own, sensible plan."""

from __future__ import annotations

import itertools

import pytest

from safedl.errors import ConfigError
from safedl.threat import PRESETS, ThreatAssessment, assess, get_preset, parse_answers
from safedl.threat.answers import complete
from safedl.threat.question import UNKNOWN

WHITE_BOX = {"fgsm", "pgd", "apgd_ce", "apgd_dlr", "cw", "deepfool"}
SCORE_BASED = {"square", "nes", "spsa"}
POISONING = ("data-poisoning", "label-manipulation", "backdoor")


def _plan(result: ThreatAssessment) -> set[str]:
    return {p.name for p in result.plan}


def _level(result: ThreatAssessment, threat_id: str) -> str:
    t = result.threat(threat_id)
    return t.level if t else "absent"


@pytest.fixture(scope="module")
def results() -> dict[str, ThreatAssessment]:
    return {name: assess(preset=name) for name in PRESETS}


def test_six_presets_answer_every_question_without_dont_know() -> None:
    assert set(PRESETS) == {
        "traffic-sign",
        "medical-imaging",
        "face-auth-mobile",
        "cloud-api",
        "content-moderation",
        "internal-vetted",
    }
    for preset in PRESETS.values():
        answers, missing = complete(parse_answers(preset.answers), require_all=True)
        assert missing == [] and UNKNOWN not in {v for vs in answers.values() for v in vs}
        assert preset.title and preset.description


def test_presets_give_pairwise_different_plans(results: dict[str, ThreatAssessment]) -> None:
    plans = {name: [(p.name, p.params) for p in r.plan] for name, r in results.items()}
    for a, b in itertools.combinations(plans, 2):
        assert plans[a] != plans[b], (a, b)
    for name, r in results.items():
        assert r.gaps == [], name
        assert r.plan and r.threats, name


def test_traffic_sign_is_white_box_and_physical(results: dict[str, ThreatAssessment]) -> None:
    r = results["traffic-sign"]
    assert r.attacker.knowledge == "white-box"
    assert r.attacker.has("physical_input")
    assert {t.id for t in r.threats[:2]} == {"evasion-white-box", "physical-evasion"}
    assert r.threats[0].level == "critical"
    assert {"pgd", "universal_patch"} <= _plan(r)
    targeted = [p for p in r.plan if p.params.get("targeted")]
    assert targeted, "a sign attacker wants a chosen sign: targeted PGD is planned"


def test_medical_imaging_puts_privacy_first(results: dict[str, ThreatAssessment]) -> None:
    r = results["medical-imaging"]
    assert _level(r, "membership-inference") in ("high", "critical")
    assert r.threats[0].goal == "privacy"
    assert {"loss_threshold", "lira"} <= _plan(r)
    assert r.attacker.budgets.eps["linf"] < 8 / 255  # medical images: a smaller budget


def test_face_auth_is_white_box_physical_and_targeted(
    results: dict[str, ThreatAssessment],
) -> None:
    r = results["face-auth-mobile"]
    assert r.attacker.knowledge == "white-box"
    assert r.attacker.query_output == "labels"
    assert _level(r, "physical-evasion") in ("high", "critical")
    assert _level(r, "weight-theft") in ("high", "critical")
    assert {"pgd", "universal_patch", "mi_face"} <= _plan(r)
    assert any(p.params.get("targeted") for p in r.plan)
    assert not SCORE_BASED & _plan(r), "the phone returns unlock/deny, not scores"


def test_cloud_api_is_black_box_with_model_stealing(results: dict[str, ThreatAssessment]) -> None:
    r = results["cloud-api"]
    assert r.attacker.knowledge in ("grey-box", "black-box-scores")
    assert r.threats[0].id == "model-extraction"
    assert "knockoff" in _plan(r)
    assert _plan(r) >= SCORE_BASED
    assert not WHITE_BOX & _plan(r), "server-side weights: no white-box attacks"
    stealing = next(p for p in r.plan if p.name == "knockoff")
    assert stealing.params["max_queries"] == r.attacker.budgets.extraction_queries == 10_000
    square = next(p for p in r.plan if p.name == "square")
    assert square.params["max_queries"] == r.attacker.budgets.query_budget == 5_000


def test_content_moderation_poisoning_high(results: dict[str, ThreatAssessment]) -> None:
    r = results["content-moderation"]
    for threat_id in (*POISONING, "feedback-skewing"):
        assert _level(r, threat_id) in ("high", "critical"), threat_id
    assert r.attacker.has("training_data_control") and r.attacker.has("label_control")
    assert {"badnets", "label_flip"} <= _plan(r)
    assert "hopskipjump" in _plan(r), "label-only responses: a decision-based attack"
    assert not (WHITE_BOX | SCORE_BASED) & _plan(r)


def test_internal_vetted_poisoning_low(results: dict[str, ThreatAssessment]) -> None:
    r = results["internal-vetted"]
    for threat_id in POISONING:
        assert _level(r, threat_id) in ("low", "absent"), threat_id
    assert all(t.level in ("low", "medium") for t in r.threats)
    assert not {"badnets", "label_flip", "feature_collision"} & _plan(r)
    assert r.attacker.budgets.eps["linf"] == 0.1  # small grayscale images


def test_unknown_preset_suggests_the_closest() -> None:
    with pytest.raises(ConfigError, match="did you mean 'cloud-api'"):
        get_preset("cloud-apy")


def test_answers_override_the_preset() -> None:
    strict = assess({"rate_limit": "strict"}, preset="cloud-api")
    loose = assess(preset="cloud-api")
    s, lo = strict.threat("evasion-score-based"), loose.threat("evasion-score-based")
    assert s is not None and lo is not None and s.likelihood == lo.likelihood - 1
    assert strict.attacker.budgets.query_budget == 1_000
