"""The interactive questionnaire (questionary), used by ``safedl threat-model`` in a terminal.

This is the one module of the package that talks to the terminal: it is the questionnaire's
user interface, called only from the CLI. questionary is imported lazily.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from safedl.errors import SafeDLError
from safedl.threat.answers import normalize
from safedl.threat.question import UNKNOWN, Answers, Question
from safedl.threat.questions import QUESTIONS, SECTIONS


def _questionary() -> Any:
    try:
        import questionary
    except ImportError:  # pragma: no cover - depends on the environment
        raise SafeDLError(
            "the interactive questionnaire needs the 'questionary' package",
            hint="pip install questionary, or answer from a file: "
            "safedl threat-model --example-answers > answers.yaml",
        ) from None
    return questionary


def checker(q: Question) -> Callable[[Sequence[str]], bool | str]:
    """A questionary validator for a multi-select question: True, or what is wrong."""

    def check(selected: Sequence[str]) -> bool | str:
        if not selected:
            return "choose at least one (or Don't know)"
        try:
            normalize(q, list(selected))
        except ValueError as exc:
            return str(exc).split(";")[0].split(": ", 1)[-1]
        return True

    return check


def _ask_one(qy: Any, q: Question, message: str, default: tuple[str, ...]) -> Any:
    if q.multi:
        choices = [
            qy.Choice(c.label, value=c.value, checked=c.value in default) for c in q.all_choices
        ]
        return qy.checkbox(
            message,
            choices=choices,
            validate=checker(q),
            instruction="(space toggles, enter confirms)",
        ).ask()
    choices = [qy.Choice(c.label, value=c.value) for c in q.all_choices]
    return qy.select(
        message, choices=choices, default=default[0], instruction="(arrows move, enter confirms)"
    ).ask()


def ask(defaults: Mapping[str, tuple[str, ...]] | None = None) -> Answers | None:
    """Ask every question, section by section; None when the user cancels (Ctrl-C).

    Args:
        defaults: pre-selected answers (a preset's); 'Don't know' where absent.
    """
    qy = _questionary()
    defaults = defaults or {}
    answers: Answers = {}
    total = len(QUESTIONS)
    index = 0
    for section in SECTIONS:
        qy.print(f"\n── {section.title} ──", style="bold")
        for q in (q for q in QUESTIONS if q.section == section.id):
            index += 1
            qy.print(f"  {q.help}", style="fg:ansibrightblack")
            default = tuple(defaults.get(q.id, (UNKNOWN,)))
            result = _ask_one(qy, q, f"[{index}/{total}] {q.text}", default)
            if result is None:
                return None
            answers[q.id] = normalize(q, result)
    return answers


__all__ = ["ask", "checker"]
