"""Answer sets for rule tests: a minimal-risk baseline, and a way to satisfy any condition."""

from __future__ import annotations

from safedl.threat.answers import normalize
from safedl.threat.conditions import When
from safedl.threat.question import UNKNOWN, Answers
from safedl.threat.questions import question

#: Answers under which almost nothing is raised: the baseline every rule test starts from.
BASE: Answers = {
    "modality": ("natural",),
    "criticality": ("low",),
    "human_oversight": ("all",),
    "model_value": ("low",),
    "data_sensitivity": ("public",),
    "query_access": ("none",),
    "response_content": ("label",),
    "rate_limit": ("strict",),
    "weights_exposure": ("server",),
    "architecture_public": ("secret",),
    "input_control": ("none",),
    "data_sources": ("internal",),
    "labeling": ("experts",),
    "training": ("in_house",),
    "third_party": ("none",),
    "provenance": ("verified",),
    "deployment": ("on_premise",),
    "adversaries": ("opportunists",),
    "capability": ("medium",),
    "aims": ("misclassify",),
}


def _hit(answers: Answers, qid: str, values: tuple[str, ...]) -> bool:
    return any(v in values for v in answers[qid])


def _add(answers: Answers, qid: str, value: str) -> None:
    q = question(qid)
    if not q.multi or value in q.exclusive:
        answers[qid] = (value,)
        return
    kept = [v for v in answers[qid] if v not in (UNKNOWN, *q.exclusive)]
    answers[qid] = normalize(q, [*kept, value])


def satisfy(cond: When, start: Answers | None = None) -> Answers:
    """The smallest change to ``start`` (default :data:`BASE`) that satisfies ``cond``."""
    out = dict(start or BASE)
    for qid, values in cond.all:
        if not _hit(out, qid, values):
            _add(out, qid, values[0])
    if cond.any and not any(_hit(out, qid, values) for qid, values in cond.any):
        qid, values = cond.any[0]
        _add(out, qid, values[0])
    for qid, values in cond.none:
        q = question(qid)
        kept = [v for v in out[qid] if v not in values]
        if not kept:
            kept = [next(v for v in q.values if v not in values and v != UNKNOWN)]
        out[qid] = normalize(q, kept)
    return out
