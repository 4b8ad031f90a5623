"""The commented answers template printed by ``safedl threat-model --example-answers``."""

from __future__ import annotations

import textwrap

from safedl.threat.presets import get_preset
from safedl.threat.question import UNKNOWN, Question
from safedl.threat.questions import QUESTIONS, SECTIONS


def _value(q: Question, value: object) -> str:
    values = list(value) if isinstance(value, (list, tuple)) else [str(value)]
    return f"[{', '.join(values)}]" if q.multi and values != [UNKNOWN] else values[0]


def example_answers(preset: str | None = None) -> str:
    """Every question as commented YAML: its help, allowed values and 'Don't know' assumption.

    Args:
        preset: fill in a preset's answers instead of ``unknown`` everywhere.
    """
    answers = get_preset(preset).answers if preset else {}
    source = f"preset '{preset}'" if preset else "'unknown' (Don't know) everywhere"
    lines = [
        "# Safe-DL threat-model answers. Start: " + source + ".",
        "# Use it with: safedl threat-model --answers THIS_FILE --out my_profile.yaml",
        "# 'unknown' is always allowed: it is treated conservatively and listed as a gap.",
        "# Multi-select questions take a list: [a, b].",
    ]
    for section in SECTIONS:
        lines += ["", f"# ── {section.title} " + "─" * max(3, 60 - len(section.title))]
        for q in (q for q in QUESTIONS if q.section == section.id):
            kind = "one or more of" if q.multi else "one of"
            lines.append("")
            lines.append(f"# {q.text}")
            lines += textwrap.wrap(q.help, 92, initial_indent="#   ", subsequent_indent="#   ")
            lines.append(f"# {kind}:")
            width = max(len(c.value) for c in q.all_choices)
            for c in q.choices:
                lines.append(f"#   {c.value:<{width}}  {c.label}")
            lines.append(f"#   {UNKNOWN:<{width}}  Don't know → assumed: {q.assumption}")
            lines.append(f"{q.id}: {_value(q, answers.get(q.id, UNKNOWN))}")
    return "\n".join(lines) + "\n"


__all__ = ["example_answers"]
