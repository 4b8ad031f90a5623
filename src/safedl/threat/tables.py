"""Rich renderables of an assessment (built here, printed by the CLI)."""

from __future__ import annotations

import json

from rich.markup import escape
from rich.table import Table

from safedl.threat.model import Reason, ThreatAssessment

LEVEL_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "green"}


def cited_answers(reasons: list[Reason], *, raising_only: bool = True) -> list[str]:
    """``question=answer`` for each answer the (raising) rules looked at, without repeats."""
    seen: dict[str, None] = {}
    for r in reasons:
        if raising_only and r.likelihood is None:
            continue
        for q, a in r.answers.items():
            seen.setdefault(f"{q}={a}", None)
    return list(seen)


def threat_table(assessment: ThreatAssessment) -> Table:
    """Rank, threat (with the answers that raised it), likelihood, impact, level, references."""
    table = Table(
        title="Threats (score = likelihood × impact)", title_justify="left", show_lines=True
    )
    table.add_column("#", justify="right")
    table.add_column("threat / raised by", ratio=1)
    table.add_column("L", justify="right")
    table.add_column("I", justify="right")
    table.add_column("level", no_wrap=True)
    table.add_column("ATLAS", no_wrap=True)
    table.add_column("OWASP", no_wrap=True)
    for t in assessment.threats:
        style = LEVEL_STYLE[t.level]
        why = "; ".join(cited_answers(t.reasons))
        table.add_row(
            str(t.rank),
            f"[bold]{escape(t.id)}[/]\n[dim]{escape(why)}[/]",
            str(t.likelihood),
            str(t.impact),
            f"[{style}]{t.level}[/]",
            "\n".join(t.atlas) or "-",
            "\n".join(t.owasp) or "-",
        )
    return table


def attacker_table(assessment: ThreatAssessment) -> Table:
    """The attacker model as a two-column grid."""
    a = assessment.attacker
    b = a.budgets
    table = Table(title="Attacker model (NIST AI 100-2)", title_justify="left", show_header=False)
    table.add_column("facet", style="bold")
    table.add_column("value")
    why = "; ".join(r.because for r in a.knowledge_reasons) or "no rule grants more"
    table.add_row("goals", ", ".join(g.value for g in a.goals) or "-")
    table.add_row("knowledge", escape(f"{a.knowledge} ({why})"))
    table.add_row("query output", a.query_output)
    table.add_row("capabilities", ", ".join(c.value for c in a.capabilities) or "-")
    table.add_row(
        "budgets",
        f"ε L∞ {b.eps['linf']}, ε L2 {b.eps['l2']}; poison fraction {b.poison_fraction:g}; "
        f"queries {b.query_budget:,} per example, {b.extraction_queries:,} in all; "
        f"{b.steps} steps × {b.restarts} restart(s); patch side {b.patch_size:g}",
    )
    table.add_row("adversaries", f"{', '.join(a.adversaries)} (capability {a.sophistication})")
    return table


def plan_table(assessment: ThreatAssessment) -> Table:
    """The attack plan: attack, parameters, status and the threats each attack tests."""
    table = Table(title="Attack plan", title_justify="left")
    for name in ("attack", "params", "status", "tests"):
        table.add_column(name)
    for p in assessment.plan:
        status = "[green]available[/]" if p.status == "available" else "[dim]unavailable[/]"
        table.add_row(
            escape(p.name),
            escape(json.dumps(p.params, separators=(", ", ": "))),
            status,
            escape(", ".join(p.threat_ids)),
        )
    return table


def gaps_table(assessment: ThreatAssessment) -> Table:
    """Questions answered 'Don't know' and what was assumed."""
    table = Table(title="Gaps ('Don't know' → assumed)", title_justify="left")
    table.add_column("question")
    table.add_column("assumed")
    for g in assessment.gaps:
        note = " (not answered)" if g.missing else ""
        table.add_row(escape(g.question + note), escape(g.assumption))
    return table


__all__ = ["attacker_table", "cited_answers", "gaps_table", "plan_table", "threat_table"]
