"""The questionnaire as data: every question, in the order it is asked, grouped in sections."""

from __future__ import annotations

from safedl.errors import ConfigError
from safedl.suggest import did_you_mean
from safedl.threat.question import Question, Section
from safedl.threat.questions.adversary import ADVERSARY_QUESTIONS, DEPLOYMENT_QUESTIONS
from safedl.threat.questions.asset import ASSET_QUESTIONS
from safedl.threat.questions.interface import INTERFACE_QUESTIONS
from safedl.threat.questions.pipeline import PIPELINE_QUESTIONS

SECTIONS: tuple[Section, ...] = (
    Section("asset", "Asset and task"),
    Section("interface", "Interface and access"),
    Section("data", "Data pipeline"),
    Section("deployment", "Deployment"),
    Section("adversary", "Adversary"),
)

QUESTIONS: tuple[Question, ...] = (
    *ASSET_QUESTIONS,
    *INTERFACE_QUESTIONS,
    *PIPELINE_QUESTIONS,
    *DEPLOYMENT_QUESTIONS,
    *ADVERSARY_QUESTIONS,
)

_BY_ID: dict[str, Question] = {q.id: q for q in QUESTIONS}


def question(question_id: str) -> Question:
    """The question with id ``question_id``; an unknown id gets a did-you-mean ConfigError."""
    try:
        return _BY_ID[question_id]
    except KeyError:
        raise ConfigError(
            f"unknown question {question_id!r}; {did_you_mean(question_id, _BY_ID)}"
        ) from None


def question_ids() -> list[str]:
    """Every question id, in the order the questionnaire asks them."""
    return [q.id for q in QUESTIONS]


__all__ = ["QUESTIONS", "SECTIONS", "question", "question_ids"]
