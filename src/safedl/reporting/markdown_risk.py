"""Markdown sections of the executive summary and the risk analysis."""

from __future__ import annotations

from typing import Any

from safedl.reporting.summary import summarise


def summary_markdown(record: dict[str, Any]) -> list[str]:
    s = summarise(record)
    lines = ["## Executive summary", "", f"**{s['posture'].upper()}** — {s['headline']}", ""]
    lines += [f"- {line}" for line in s["findings"]]
    if s["top_risks"]:
        lines += ["", "**Top risks**", ""] + [f"{i}. {r}" for i, r in enumerate(s["top_risks"], 1)]
    if s["next_steps"]:
        lines += ["", "**What to do next**", ""]
        lines += [f"{i}. {r}" for i, r in enumerate(s["next_steps"], 1)]
    return [*lines, ""]


def risk_markdown(result: dict[str, Any], note: str | None) -> list[str]:
    risks = result.get("risks", [])
    if not risks:
        return ["## Risk", "", note or "Risk was not scored.", ""]
    lines = [
        "## Risk",
        "",
        "| rank | attack | threats | score | pessimistic | rating | factors |",
        "|---|---|---|---|---|---|---|",
    ]
    for rank, r in enumerate(risks, 1):
        factors = "; ".join(f"{f['name']} {f['value']:.3f} ({f['reason']})" for f in r["factors"])
        lines.append(
            f"| {rank} | {r['attack']} (#{r['index']}) | {', '.join(r['threats']) or '—'} | "
            f"{r['score']:.1f} | {r['pessimistic_score']:.1f} | {r['rating']} | {factors} |"
        )
    lines += [
        "",
        "Score = 10 × impact × likelihood × consequence; the pessimistic score uses the "
        "upper end of the impact's 95% CI.",
        "",
        "Risk matrix (rows: likelihood L5→L1; columns: measured impact I1→I5):",
        "",
        "| | I1 | I2 | I3 | I4 | I5 |",
        "|---|---|---|---|---|---|",
    ]
    for i, row in enumerate(result.get("matrix", [])):
        lines.append(f"| L{5 - i} | " + " | ".join(str(n or "") for n in row) + " |")
    recs = result.get("recommendations", [])
    if recs:
        lines += [
            "",
            "### Recommendations",
            "",
            "| defense | answers | why | expected effect |",
            "|---|---|---|---|",
        ]
        for rec in recs:
            avail = "" if rec["available"] else " (not yet in Safe-DL)"
            lines.append(
                f"| {rec['defense']}{avail} | {', '.join(rec['risks'])} | "
                f"{rec['reason']} | {rec['expected_effect']} |"
            )
    return [*lines, ""]
