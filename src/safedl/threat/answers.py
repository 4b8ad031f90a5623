"""Questionnaire answers: the one place where they are validated, completed and explained.

An answers mapping is ``{question_id: value}`` or, for a multi-select question,
``{question_id: [value, ...]}`` (a single value is accepted there too). Validation collects
every problem and raises one :class:`~safedl.errors.ConfigError` with a line per problem that
names the question and the allowed values.

Missing answers: with a preset, the preset answers every question the user leaves out. Without
one, an answers file must answer every question (``unknown`` is an answer), because a silent
default would hide a gap; a profile's stored answers are more lenient, since a profile may
predate a newer question: missing ones count as 'Don't know' and are listed as gaps.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from safedl.errors import ConfigError
from safedl.suggest import closest, did_you_mean
from safedl.threat.model import Gap
from safedl.threat.question import UNKNOWN, Answers, Question
from safedl.threat.questions import QUESTIONS, question_ids


def _allowed(q: Question) -> str:
    return ", ".join(q.values)


def _problem(q: Question, message: str) -> str:
    kind = "one or more of" if q.multi else "one of"
    return f"{q.id}: {message}; allowed: {kind} {_allowed(q)}"


def normalize(q: Question, raw: Any) -> tuple[str, ...]:
    """One answer as a tuple of values in the question's choice order.

    Raises:
        ValueError: with a message that names the question and the allowed values.
    """
    if raw is None or raw == [] or raw == "":
        raise ValueError(_problem(q, "no value given (use 'unknown' for Don't know)"))
    if isinstance(raw, (list, tuple)):
        if not q.multi and len(raw) != 1:
            raise ValueError(_problem(q, f"takes a single value, got a list {list(raw)!r}"))
        items = list(raw)
    else:
        items = [raw]
    bad = [v for v in items if not isinstance(v, str) or v not in q.values]
    if bad:
        value = bad[0]
        hint = ""
        if isinstance(value, str) and closest(value, q.values, n=1):
            hint = f" ({did_you_mean(value, q.values)})"
        raise ValueError(_problem(q, f"{value!r} is not an allowed value{hint}"))
    chosen = set(items)
    for special in (UNKNOWN, *q.exclusive):
        if special in chosen and len(chosen) > 1:
            raise ValueError(_problem(q, f"{special!r} cannot be combined with other values"))
    return tuple(v for v in q.values if v in chosen)


def parse_answers(data: Any, source: str = "<answers>") -> Answers:
    """Validate a mapping of answers; every problem is reported, each on its own line.

    Args:
        data: the parsed YAML (or a dict), question id → value or list of values.
        source: named in each message (a file name, or ``threat_model.answers``).

    Raises:
        ConfigError: unknown question ids (with a did-you-mean) or values not allowed.
    """
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ConfigError(
            f"{source}: answers must be a mapping of question id to value, "
            f"got {type(data).__name__}",
            hint="print a template with: safedl threat-model --example-answers",
        )
    by_id = {q.id: q for q in QUESTIONS}
    where = f"{source}: " if source else ""
    problems: list[str] = []
    answers: Answers = {}
    for key, raw in data.items():
        q = by_id.get(str(key))
        if q is None:
            problems.append(f"{where}{key}: unknown question; {did_you_mean(str(key), by_id)}")
            continue
        try:
            answers[q.id] = normalize(q, raw)
        except ValueError as exc:
            problems.append(f"{where}{exc}")
    if problems:
        raise ConfigError(
            "\n".join(problems), hint="print a template with: safedl threat-model --example-answers"
        )
    return {qid: answers[qid] for qid in question_ids() if qid in answers}


def complete(
    answers: Mapping[str, tuple[str, ...]],
    defaults: Mapping[str, tuple[str, ...]] | None = None,
    *,
    require_all: bool,
    source: str = "<answers>",
) -> tuple[Answers, list[str]]:
    """Fill in unanswered questions from ``defaults`` (a preset), else from 'Don't know'.

    Returns:
        The complete answers, in question order, and the ids that nobody answered.

    Raises:
        ConfigError: when ``require_all`` and some question has no answer; one line per
            question with its allowed values.
    """
    full: Answers = {}
    missing: list[str] = []
    for q in QUESTIONS:
        if q.id in answers:
            full[q.id] = tuple(answers[q.id])
        elif defaults is not None and q.id in defaults:
            full[q.id] = tuple(defaults[q.id])
        else:
            missing.append(q.id)
            full[q.id] = (UNKNOWN,)
    if missing and require_all:
        lines = [f"{source}: {_problem(q, 'missing answer')}" for q in QUESTIONS if q.id in missing]
        raise ConfigError(
            "\n".join(lines),
            hint="answer 'unknown' where you don't know, or start from a preset with --preset",
        )
    return full, missing


def effective(answers: Mapping[str, tuple[str, ...]]) -> Answers:
    """Answers with every 'Don't know' (and every missing answer) replaced by its assumption."""
    out: Answers = {}
    for q in QUESTIONS:
        given = tuple(answers.get(q.id, (UNKNOWN,)))
        out[q.id] = q.assume if given == (UNKNOWN,) else given
    return out


def gaps(answers: Mapping[str, tuple[str, ...]], missing: Iterable[str] = ()) -> list[Gap]:
    """One gap per question answered 'Don't know' or not answered, with what was assumed."""
    unanswered = set(missing)
    out = []
    for q in QUESTIONS:
        if q.id in unanswered or tuple(answers.get(q.id, (UNKNOWN,))) == (UNKNOWN,):
            out.append(
                Gap(
                    question=q.id,
                    text=q.text,
                    assumed=list(q.assume),
                    assumption=q.assumption,
                    missing=q.id in unanswered,
                )
            )
    return out


def to_plain(answers: Mapping[str, tuple[str, ...]]) -> dict[str, str | list[str]]:
    """Answers as YAML-friendly values: a string for single-choice, a list for multi-select."""
    by_id = {q.id: q for q in QUESTIONS}
    return {
        qid: list(values) if by_id[qid].multi else values[0]
        for qid, values in answers.items()
        if qid in by_id
    }


def describe(q: Question, given: tuple[str, ...]) -> str:
    """An answer for a reason line: ``public`` or ``unknown (assumed public)``."""
    if given == (UNKNOWN,):
        return f"unknown (assumed {'+'.join(q.assume)})"
    return "+".join(given)


__all__ = [
    "complete",
    "describe",
    "effective",
    "gaps",
    "normalize",
    "parse_answers",
    "to_plain",
]
