"""Markdown section of the defenses and their adaptive re-evaluation."""

from __future__ import annotations

from typing import Any

from safedl.reporting.markdown_risk import pct
from safedl.results.labels import number


def defenses_markdown(defenses: dict[str, Any], reevaluation: dict[str, Any]) -> list[str]:
    """Before/after table per defense and budget, costs, and the calls-out of masking."""
    applied = {d["model"]: d for d in defenses.get("defenses", [])}
    models = reevaluation.get("models", [])
    grid = poisoning_lines(reevaluation.get("poisoning"))
    if not applied:
        return grid
    lines = [
        "## Defenses and their adaptive re-evaluation",
        "",
        "Each defended model is re-attacked with the baseline's plan and then with adaptive "
        "attacks chosen from what the defense declares (BPDA, EOT, transfer from the baseline, "
        "Square at 5,000 queries), each on the examples still robust. The robust accuracy is the "
        "per-example worst case over all of them; the plan-only figure is labelled "
        "*non-adaptive* and is never the result.",
        "",
        "| defense | budget | clean (baseline → defended) | robust, baseline | robust, defended "
        "(adaptive) | non-adaptive | change (paired) | McNemar p | latency | training |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    notes = []
    chosen = defenses.get("chosen_by")
    if chosen:
        notes.append(
            f"- Applied **{chosen['defense']}** because the risk stage recommends "
            f"{chosen['recommendation']} for the top risk ({', '.join(chosen['risks'])}): "
            f"{chosen['reason']}."
        )
    leaks = _privacy_rows(models)
    for m in models:
        cost = applied.get(m["model"], {}).get("cost", {})
        clean = m["clean"]
        for b in m["budgets"]:
            d = b["mitigation"]
            lines.append(
                f"| {m['model']} | {b['norm']} ε = {number(b['eps'])} | "
                f"{pct(clean['baseline'])} → {pct(clean['defended'])} | "
                f"{pct(b['baseline_robust_accuracy'])} | **{pct(b['robust_accuracy'])}** | "
                f"{pct(b['non_adaptive_robust_accuracy'])} | "
                f"{100 * d['difference']:+.1f} pts "
                f"[{100 * d['low']:+.1f}, {100 * d['high']:+.1f}] | "
                f"{d['p_value']:.2g} | {cost.get('latency_ratio', 0):.2f}× | "
                f"{cost.get('train_seconds', 0):.1f} s |"
            )
            if b["holds_only_without_adaptive_attacks"]:
                notes.append(
                    f"- **{m['model']} holds only without adaptive attacks** at "
                    f"{b['norm']} ε = {number(b['eps'])}: {pct(b['non_adaptive_robust_accuracy'])}"
                    f" against the plan, {pct(b['robust_accuracy'])} against adaptive attacks."
                )
            for step in b["cascade"]:
                notes.append(
                    f"  - {m['model']}, {step['adaptive']}: ran on {step['ran_on']} examples, "
                    f"{step.get('robust_after', 0)} still robust"
                )
        claim = m.get("mitigation_claim")
        if claim:
            verb = "may" if claim["allowed"] else "may **not**"
            notes.append(f"- A risk {verb} be called mitigated by {m['model']}: {claim['rule']}.")
        after = m.get("posture_after", {})
        if after:
            notes.append(
                f"- Posture after {m['model']}: **{after.get('posture', 'unknown')}** — "
                f"{after.get('headline', '')}"
            )
        failed = [f["id"] for f in m.get("validity", []) if f["status"] == "fail"]
        if failed:
            notes.append(f"- Validity checks failed on {m['model']}: {', '.join(failed)}")
        for s in m.get("skipped", []):
            notes.append(f"- {m['model']}: {s['attack']} not re-run — {s['why']}")
        metrics = applied.get(m["model"], {}).get("metrics") or {}
        if metrics:
            shown = ", ".join(
                f"{k}: {v}" for k, v in metrics.items() if not isinstance(v, dict | list)
            )
            if shown:
                notes.append(f"- {m['model']} metrics: {shown}")
    plot = reevaluation.get("plot")
    out = [*lines, "", *leaks, *notes]
    if plot:
        out += ["", f"![clean vs worst-case robust accuracy]({plot})"]
    return [*out, "", *grid]


def _rate(r: dict[str, Any] | None) -> str:
    return "—" if not r else f"{100 * r['value']:.1f}%"


def poisoning_lines(grid: dict[str, Any] | None) -> list[str]:
    """The attacks × defenses grid of the poisoning defenses, with its figures."""
    if not grid or not grid.get("rows"):
        return []
    lines = [
        "## Poisoning and backdoor defenses, measured against the known poison",
        "",
        "Each defense is measured against each poisoning or backdoor attack of the run (the "
        "same stored poisoned set and victim) and against the clean model (no attack: what it "
        "costs when there is nothing to find). Precision and recall are against the stored "
        "indices of the poisoned samples.",
        "",
        "| attack | defense | clean accuracy (before → after) | attack success (before → after) "
        "| precision | recall |",
        "|---|---|---|---|---|---|",
    ]
    for r in grid["rows"]:
        lines.append(
            f"| {r['attack'] or 'none (clean model)'} | {r['defense']} | "
            f"{_rate(r.get('baseline_clean_accuracy'))} → {pct(r.get('clean_accuracy'))} | "
            f"{_rate(r.get('baseline_attack_success_rate'))} → "
            f"{pct(r.get('attack_success_rate'))} | {pct(r.get('precision'))} | "
            f"{pct(r.get('recall'))} |"
        )
    lines.append("")
    for defense, res in (grid.get("residual") or {}).items():
        after = res.get("posture_after") or {}
        top = res.get("residual_risks") or []
        worst = max((r["pessimistic_score"] for r in top), default=None)
        left = f"; worst residual poisoning risk {worst:.1f}/10" if worst is not None else ""
        lines.append(
            f"- Posture after {defense}: **{after.get('posture', 'unknown')}**{left} — "
            f"{after.get('headline', '')}"
        )
    lines.append("")
    for res in grid.get("results", []):
        for path in res.get("figures") or []:
            against = res.get("attack") or "the clean model"
            lines.append(f"![{res.get('defense')} against {against}]({path})")
    return [*lines, ""]


def _side(side: dict[str, Any] | None) -> str:
    if not side:
        return "—"
    value = f"AUC {side['value']:.3f}" if side["metric"] == "auc" else pct(side)
    mark = " (adaptive)" if side.get("adaptive") else ""
    return f"{value} — {side['attack']}{mark}"


def leak_change(row: dict[str, Any]) -> str:
    """The change of one leakage row with its 95% interval: AUC units or rate points."""
    ch = row.get("change")
    if ch is None:
        return "—"
    if row.get("metric") == "auc":
        return f"{ch['difference']:+.3f} AUC [{ch['low']:+.3f}, {ch['high']:+.3f}]"
    return f"{100 * ch['difference']:+.1f} pts [{100 * ch['low']:+.1f}, {100 * ch['high']:+.1f}]"


def _privacy_rows(models: list[dict[str, Any]]) -> list[str]:
    """Leakage before and after: the worst case per privacy or stealing threat."""
    rows = [(m["model"], r) for m in models for r in m.get("privacy", [])]
    if not rows:
        return []
    lines = [
        "Leakage before and after (the worst case over the attacks on each model; an output "
        "defense is also attacked by label-only membership inference and a hard-label thief):",
        "",
        "| defense | threat | baseline | defended | change [95% CI] |",
        "|---|---|---|---|---|",
    ]
    for model, r in rows:
        change = leak_change(r)
        lines.append(
            f"| {model} | {r['threat']} | {_side(r.get('baseline'))} | "
            f"{_side(r.get('defended'))} | {change} |"
        )
    return [*lines, ""]


__all__ = ["defenses_markdown", "leak_change", "poisoning_lines"]
