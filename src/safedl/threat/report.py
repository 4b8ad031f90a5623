"""The threat-model section of the Markdown report, rendered from the record alone."""

from __future__ import annotations

import json
from typing import Any


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _why(reasons: list[dict[str, Any]]) -> str:
    parts = []
    for r in reasons:
        if r.get("likelihood") is None:
            continue
        answers = ", ".join(f"`{q}={a}`" for q, a in r.get("answers", {}).items())
        parts.append(f"{r['because']} ({answers}; {r['rule']})")
    return "; ".join(parts)


def _attacker(attacker: dict[str, Any]) -> list[str]:
    b = attacker.get("budgets", {})
    eps = b.get("eps", {})
    why = "; ".join(r["because"] for r in attacker.get("knowledge_reasons", []))
    return [
        "Attacker model (NIST AI 100-2 terms):",
        "",
        f"- Goals: {', '.join(g['value'] for g in attacker.get('goals', [])) or 'none'}",
        f"- Knowledge: **{attacker.get('knowledge')}**" + (f" — {why}" if why else ""),
        f"- Query output: {attacker.get('query_output')}",
        "- Capabilities: "
        + (", ".join(c["value"] for c in attacker.get("capabilities", [])) or "none"),
        f"- Budgets: ε L∞ {eps.get('linf')}, ε L2 {eps.get('l2')}; poison fraction "
        f"{b.get('poison_fraction')}; queries {b.get('query_budget', 0):,} per example, "
        f"{b.get('extraction_queries', 0):,} in all; patch side {b.get('patch_size')}; "
        f"{b.get('steps')} steps × {b.get('restarts')} restart(s)",
        f"- Adversaries: {', '.join(attacker.get('adversaries', []))} "
        f"(capability {attacker.get('sophistication')})",
    ]


def threat_model_markdown(result: dict[str, Any]) -> list[str]:
    """Lines of the report's threat-model section, from the stage's result in the record."""
    if not result or "threats" not in result:
        return ["No threat model was assessed (the profile states none)."]
    preset = result.get("preset")
    lines = [
        f"Threat model from preset `{preset}`." if preset else "Threat model from answers.",
        "",
    ]
    lines += _attacker(result.get("attacker", {}))
    lines += [
        "",
        "| # | threat | likelihood | impact | level | ATLAS | OWASP | why |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for t in result.get("threats", []):
        lines.append(
            f"| {t['rank']} | {_cell(t['title'])} | {t['likelihood']} | {t['impact']} | "
            f"**{t['level']}** | {', '.join(t['atlas']) or '-'} | {', '.join(t['owasp']) or '-'} "
            f"| {_cell(_why(t.get('reasons', [])))} |"
        )
    unavailable = [p for p in result.get("plan", []) if p.get("status") != "available"]
    if unavailable:
        lines += ["", "Planned but unavailable attacks (the threats they test stay untested):", ""]
        lines += [
            f"- `{p['name']}` {json.dumps(p['params'])} for {', '.join(p['threat_ids'])}: "
            f"{p['reason']}"
            for p in unavailable
        ]
    not_run = result.get("not_in_profile", [])
    if not_run:
        lines += [
            "",
            "Available planned attacks that this profile does not run: "
            + ", ".join(f"`{n}`" for n in not_run)
            + " (write a plan into a profile with `safedl threat-model`).",
        ]
    gaps = result.get("gaps", [])
    lines += ["", "Gaps ('Don't know', assumed conservatively):" if gaps else "No gaps.", ""]
    lines += [
        f"- `{g['question']}`{' (not answered)' if g.get('missing') else ''}: {g['assumption']}"
        for g in gaps
    ]
    return lines


__all__ = ["threat_model_markdown"]
