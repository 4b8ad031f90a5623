"""The shape of a questionnaire question: id, section, text, help, choices and 'Don't know'.

Every question carries what 'Don't know' is taken to mean (``assume``): the conservative
answer, i.e. the one that gives the attacker more. Answers are normalised to tuples of values,
one value for a single-choice question, one or more for a multi-select one.
"""

from __future__ import annotations

from dataclasses import dataclass

UNKNOWN = "unknown"
UNKNOWN_LABEL = "Don't know"

#: Normalised answers: question id → the values chosen (never empty).
Answers = dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class Choice:
    """One allowed answer: the value stored in files and a label shown to people."""

    value: str
    label: str


@dataclass(frozen=True)
class Question:
    """One question of the questionnaire.

    Attributes:
        id: key in answers files and profiles (snake_case).
        section: id of the section it belongs to.
        text: the question, one line.
        help: why it is asked and how to answer it.
        choices: the allowed answers, without 'Don't know' (always added, see ``all_choices``).
        assume: the values used in place of 'Don't know' (the conservative answer).
        assumption: what that means, in words; shown in the gaps of the assessment.
        multi: several values may be chosen.
        exclusive: values that cannot be combined with others (such as ``none``).
    """

    id: str
    section: str
    text: str
    help: str
    choices: tuple[Choice, ...]
    assume: tuple[str, ...]
    assumption: str
    multi: bool = False
    exclusive: tuple[str, ...] = ()

    @property
    def all_choices(self) -> tuple[Choice, ...]:
        """The choices with 'Don't know' last."""
        return (*self.choices, Choice(UNKNOWN, UNKNOWN_LABEL))

    @property
    def values(self) -> tuple[str, ...]:
        """Every allowed value, ``unknown`` included."""
        return tuple(c.value for c in self.all_choices)

    def label(self, value: str) -> str:
        """The label of ``value`` (the value itself when it is not a choice)."""
        return next((c.label for c in self.all_choices if c.value == value), value)


@dataclass(frozen=True)
class Section:
    """A group of questions asked together."""

    id: str
    title: str


__all__ = ["UNKNOWN", "UNKNOWN_LABEL", "Answers", "Choice", "Question", "Section"]
