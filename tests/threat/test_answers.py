"""Questions are complete data; answers are validated in one place with precise messages."""

from __future__ import annotations

import pytest
import yaml

from safedl.errors import ConfigError
from safedl.threat import QUESTIONS, SECTIONS, assess, example_answers, parse_answers
from safedl.threat.answers import complete, effective, gaps, to_plain
from safedl.threat.question import UNKNOWN


def test_every_question_has_help_choices_and_dont_know() -> None:
    ids = [q.id for q in QUESTIONS]
    assert len(ids) == len(set(ids)) and len(ids) >= 18
    assert {q.section for q in QUESTIONS} == {s.id for s in SECTIONS}
    for q in QUESTIONS:
        assert q.help and q.text.endswith("?") and len(q.text) <= 70, q.id
        assert q.values[-1] == UNKNOWN and len(set(q.values)) == len(q.values), q.id
        assert q.assume and set(q.assume) <= set(q.values) - {UNKNOWN}, q.id
        assert set(q.exclusive) <= set(q.values), q.id
        assert q.multi or len(q.assume) == 1, q.id


def test_parse_accepts_single_values_and_lists_in_choice_order() -> None:
    answers = parse_answers(
        {"input_control": "physical", "data_sources": ["scraped", "internal"], "modality": "faces"}
    )
    assert answers == {
        "modality": ("faces",),
        "input_control": ("physical",),
        "data_sources": ("internal", "scraped"),
    }
    assert to_plain(answers)["data_sources"] == ["internal", "scraped"]
    assert to_plain(answers)["modality"] == "faces"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"qery_access": "public"}, ["qery_access: unknown question", "'query_access'"]),
        ({"query_access": "publik"}, ["query_access: 'publik' is not an allowed value", "public"]),
        ({"query_access": ["public", "internal"]}, ["takes a single value"]),
        ({"input_control": ["digital", "none"]}, ["'none' cannot be combined"]),
        ({"aims": ["steal", "unknown"]}, ["'unknown' cannot be combined"]),
        ({"capability": None}, ["capability: no value given"]),
        ({"modality": 3}, ["modality: 3 is not an allowed value"]),
    ],
)
def test_bad_answers_name_the_question_and_allowed_values(
    data: dict[str, object], expected: list[str]
) -> None:
    with pytest.raises(ConfigError) as exc:
        parse_answers(data, "a.yaml")
    message = str(exc.value)
    assert message.startswith("a.yaml: ")
    for part in expected:
        assert part in message
    if "unknown question" not in message:
        assert "allowed:" in message and "unknown" in message


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as exc:
        parse_answers({"qery_access": "public", "modality": "x", "capability": "y"}, "f")
    assert len(exc.value.message.splitlines()) == 3


def test_non_mapping_is_rejected() -> None:
    with pytest.raises(ConfigError, match="must be a mapping"):
        parse_answers(["public"], "f")


def test_missing_answers_are_an_error_without_preset_and_filled_with_one() -> None:
    with pytest.raises(ConfigError) as exc:
        complete({"modality": ("natural",)}, require_all=True, source="a.yaml")
    lines = exc.value.message.splitlines()
    assert len(lines) == len(QUESTIONS) - 1
    assert lines[0].startswith("a.yaml: criticality: missing answer; allowed: one of low,")
    result = assess({"modality": "faces"}, preset="cloud-api", require_all=True)
    assert result.gaps == []  # the preset answered everything else
    lenient = assess({"modality": "faces"})  # a profile: missing counts as Don't know
    assert all(g.missing for g in lenient.gaps) and len(lenient.gaps) == len(QUESTIONS) - 1


def test_dont_know_is_conservative_and_listed_as_a_gap() -> None:
    answers = {q.id: (UNKNOWN,) for q in QUESTIONS}
    eff = effective(answers)
    assert eff["weights_exposure"] == ("on_device",)
    assert eff["response_content"] == ("scores",)
    found = gaps(answers)
    assert [g.question for g in found] == [q.id for q in QUESTIONS]
    weights = next(g for g in found if g.question == "weights_exposure")
    assert "white-box" in weights.assumption and weights.assumed == ["on_device"]
    result = assess({q.id: UNKNOWN for q in QUESTIONS}, require_all=True)
    assert result.attacker.knowledge == "white-box"
    assert result.attacker.query_output == "scores"
    assert result.threat("evasion-white-box") is not None
    assert result.threat("evasion-score-based") is not None


@pytest.mark.parametrize("preset", [None, "medical-imaging"])
def test_example_template_lists_every_question_and_parses_back(preset: str | None) -> None:
    text = example_answers(preset)
    for q in QUESTIONS:
        assert f"\n{q.id}: " in text and q.text in text
    assert "Don't know → assumed" in text
    data = yaml.safe_load(text)
    answers = parse_answers(data)
    full, missing = complete(answers, require_all=True)
    assert missing == []
    if preset is None:
        assert all(v == (UNKNOWN,) for v in full.values())
    else:
        assert full["modality"] == ("medical",)
