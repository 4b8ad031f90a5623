"""Markdown sections of the executive summary and the risk analysis."""

from __future__ import annotations

from typing import Any

from safedl.reporting.summary import summarise
from safedl.risk import headline


def pct(rate: dict[str, Any] | None) -> str:
    """A rate with its 95% interval as the reports print it: ``62.1% [57.0–67.0]``."""
    if not rate:
        return "n/a"
    return f"{100 * rate['value']:.1f}% [{100 * rate['low']:.1f}–{100 * rate['high']:.1f}]"


def victim_training(result: dict[str, Any]) -> str:
    """How the victim of a poisoning result learnt: from scratch, fine-tuned, or its last layer."""
    victim = result.get("victim") or {}
    epochs = victim.get("epochs_run", "?")
    if victim.get("training") == "fine-tune":
        return f"fine-tuned {epochs} epoch(s)"
    if victim.get("training") == "last-layer":
        return f"last layer retrained {epochs} epoch(s)"
    return "from scratch"


def target_probability(result: dict[str, Any]) -> str:
    """Mean probability of the attack's intended class, clean model → victim, or a dash."""
    p = result.get("target_class_probability")
    return f"{p['baseline']:.3f} → {p['victim']:.3f}" if p else "—"


def poisoning_markdown(attacks: list[dict[str, Any]]) -> list[str]:
    """Table of poisoning and backdoor results: the victim against the clean baseline."""
    rows = [
        a
        for a in attacks
        if a.get("family") in ("poisoning", "backdoor") and a.get("status") == "done"
    ]
    if not rows:
        return []
    lines = [
        "",
        "### Poisoning and backdoors",
        "",
        "| attack | poisoned | victim | victim clean accuracy | baseline accuracy | "
        "drop (points) | attack success (victim) | attack success (clean model) | "
        "target-class probability (clean → victim) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for a in rows:
        lines.append(
            f"| {a.get('label') or a['attack']} | {a['poison_count']} "
            f"({100 * a['poison_fraction']:.1f}%) | "
            f"{victim_training(a)} | {pct(a['clean_accuracy'])} | "
            f"{pct(a['baseline_accuracy'])} | {100 * a['accuracy_drop']:+.1f} | "
            f"{pct(a['attack_success_rate'])} | {pct(a.get('baseline_attack_success_rate'))} | "
            f"{target_probability(a)} |"
        )
    for a in rows:
        for label, path in (a.get("plots") or {}).items():
            lines.append(f"![{a['attack']} {label}]({path})")
    return lines


def summary_markdown(record: dict[str, Any]) -> list[str]:
    s = summarise(record)
    lines = ["## Executive summary", "", f"**{s['posture'].upper()}** — {s['headline']}", ""]
    if s["untested"]:
        lines += [
            "**Not tested** (high or critical threats no attack inside the threat model tested):",
            "",
        ]
        lines += [f"- {t['title']} ({t['level']}): {t['why']}" for t in s["untested"]]
        lines.append("")
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
        "| rank | risk | threats | score | pessimistic | rating | factors |",
        "|---|---|---|---|---|---|---|",
    ]
    for rank, r in enumerate(risks, 1):
        factors = "; ".join(f"{f['name']} {f['value']:.3f} ({f['reason']})" for f in r["factors"])
        scores = (
            f"{r['score']:.1f} | {r['pessimistic_score']:.1f}"
            if r.get("reliable", True)
            else "— | —"
        )
        what = headline(r).split(" — ")[0]
        if r.get("scope") == "stress_test":
            what += " *(stress test, informs only)*"
        lines.append(
            f"| {rank} | {what} | {', '.join(r['threats']) or '—'} | {scores} | {r['rating']} | "
            f"{factors} |"
        )
    for n in result.get("not_scored", []):
        lines.append(f"| — | {n['label']} *(not scored: {n['why']})* | — | — | — | — | — |")
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


def _rate(value: Any) -> str:
    """A rate with its interval, or a dash when there is none."""
    return pct(value) if isinstance(value, dict) and "value" in value else "—"


def privacy_markdown(attacks: list[dict[str, Any]]) -> list[str]:
    """Table of membership-inference, inversion and extraction results."""
    rows = [
        a
        for a in attacks
        if a.get("family") in ("privacy", "extraction") and a.get("status") == "done"
    ]
    if not rows:
        return []
    lines = [
        "",
        "### Privacy and model extraction",
        "",
        "| attack | members / non-members | AUC | balanced accuracy | TPR at 1% FPR | "
        "fidelity | stolen accuracy | queries |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for a in rows:
        tpr = (a.get("tpr_at_fpr") or {}).get("0.01")
        if isinstance(tpr, dict) and tpr.get("status") == "done":
            tpr_s = _rate(tpr.get("tpr"))
        elif isinstance(tpr, dict) and "status" in tpr:
            tpr_s = str(tpr["status"])  # e.g. "too few" non-members to estimate it
        else:
            tpr_s = _rate(tpr)
        auc = f"{a['auc']:.3f}" if a.get("auc") is not None else "—"
        q = a.get("queries")
        cells = [
            a.get("label") or a["attack"],
            f"{a.get('members', '—')} / {a.get('non_members', '—')}",
            auc,
            _rate(a.get("balanced_accuracy")),
            tpr_s,
            _rate(a.get("fidelity")),
            _rate(a.get("accuracy")),
            str(q.get("total", q) if isinstance(q, dict) else q),
        ]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return lines
