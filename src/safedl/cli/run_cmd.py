"""``safedl run``: the whole assessment of one profile, resumable."""

from __future__ import annotations

from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from safedl.cli import console
from safedl.cli.console import pct
from safedl.pipeline.run import run_profile
from safedl.reporting.markdown_defenses import leak_change
from safedl.reporting.summary import SCOPE_WORDS, summarise
from safedl.results.labels import NORMS, number


def _evasion_table(rows: list[dict[str, Any]]) -> Table:
    table = Table("attack", "ε", "scope", "robust accuracy", "success rate", "images/s")
    for a in rows:
        p = a["params"]
        table.add_row(
            escape(a.get("label", "").split(",")[0] or a["attack"]),
            f"{number(p.get('eps'))} {p.get('norm', 'linf')}",
            SCOPE_WORDS.get(a.get("scope", ""), ""),
            pct(a["robust_accuracy"]),
            pct(a["attack_success_rate"]),
            f"{a['images_per_second']:.0f}",
        )
    return table


def _poisoning_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(
        "attack", "poisoned", "scope", "clean accuracy", "drop", "attack success", "on clean model"
    )
    for a in rows:
        table.add_row(
            escape(a.get("label", "").split(",")[0] or a["attack"]),
            f"{100 * a['poison_fraction']:.1f}%",
            SCOPE_WORDS.get(a.get("scope", ""), ""),
            pct(a["clean_accuracy"]),
            f"{100 * a['accuracy_drop']:+.1f} pts",
            pct(a["attack_success_rate"]),
            pct(a.get("baseline_attack_success_rate")),
        )
    return table


def _privacy_table(rows: list[dict[str, Any]]) -> Table:
    table = Table("attack", "scope", "measured", "queries")
    for a in rows:
        if a.get("family") == "privacy" and a.get("auc") is not None:
            measured = f"AUC {a['auc']:.3f}, balanced accuracy {pct(a.get('balanced_accuracy'))}"
        elif a.get("family") == "extraction":
            measured = f"fidelity {pct(a.get('fidelity'))}, accuracy {pct(a.get('accuracy'))}"
        else:
            measured = "see the report"
        q = a.get("queries")
        table.add_row(
            escape(a.get("label", "").split(",")[0] or a["attack"]),
            SCOPE_WORDS.get(a.get("scope", ""), ""),
            measured,
            str(q.get("total", q) if isinstance(q, dict) else q),
        )
    return table


def _leak(side: dict[str, Any] | None) -> str:
    if not side:
        return "—"
    value = side["value"]
    text = f"AUC {value:.3f}" if side["metric"] == "auc" else pct(side)
    return f"{text} ({escape(side['attack'].split(',')[0])})"


def _defense_table(model: dict[str, Any]) -> Table:
    """One defended model: clean, worst-case robust and leakage, before → after."""
    table = Table(
        "", "baseline", f"with {escape(model['model'])}", "change", title="defense re-evaluated"
    )
    clean = model["clean"]
    change = clean["change"]
    table.add_row(
        "clean accuracy",
        pct(clean["baseline"]),
        pct(clean["defended"]),
        f"{100 * change['difference']:+.1f} pts (p={change['p_value']:.2g})",
    )
    for b in model["budgets"]:
        m = b["mitigation"]
        plain = b["non_adaptive_robust_accuracy"]
        table.add_row(
            f"robust accuracy, {NORMS.get(b['norm'], b['norm'])} ε = {number(b['eps'])}",
            pct(b["baseline_robust_accuracy"]),
            f"{pct(b['robust_accuracy'])} adaptive worst case\n(non-adaptive {pct(plain)})",
            f"{100 * m['difference']:+.1f} pts (p={m['p_value']:.2g})",
        )
    for row in model.get("privacy", []):
        table.add_row(
            row["threat"], _leak(row.get("baseline")), _leak(row.get("defended")), leak_change(row)
        )
    return table


def run_command(
    profile: str = typer.Argument("demo", help="Profile file or preset name (default: demo)."),
    out: str | None = typer.Option(None, "--out", "-o", help="Run directory."),
    device: str | None = typer.Option(None, help="auto, cpu or cuda (overrides the profile)."),
    seed: int | None = typer.Option(None, help="Seed (overrides the profile)."),
) -> None:
    """Run the full assessment; running it again resumes an interrupted run."""
    if device is not None and device not in ("auto", "cpu", "cuda"):
        raise typer.BadParameter("must be auto, cpu or cuda", param_hint="--device")
    run = run_profile(profile, out=out, seed=seed, device=device)
    stages = run.record.stages
    base = stages.get("baseline", {}).get("result", {})
    if base:
        console.out.print(f"baseline clean accuracy: {pct(base['test_accuracy'])}")
    attacks = stages.get("attacks", {}).get("result", {}).get("attacks", [])
    done = [a for a in attacks if a.get("status") == "done"]
    evasion = [a for a in done if a.get("family") == "evasion"]
    poisoning = [a for a in done if a.get("family") in ("poisoning", "backdoor")]
    if evasion:
        console.out.print(_evasion_table(evasion))
    if poisoning:
        console.out.print(_poisoning_table(poisoning))
    leaks = [a for a in done if a.get("family") in ("privacy", "extraction")]
    if leaks:
        console.out.print(_privacy_table(leaks))
    for a in attacks:
        if a.get("status") != "done":
            console.out.print(
                f"[dim]{escape(a['attack'])}: {a['status']} — {escape(a.get('note') or '')}[/]"
            )
    for model in stages.get("reevaluation", {}).get("result", {}).get("models", []):
        console.out.print(_defense_table(model))
        after = model.get("posture_after") or {}
        if after:
            console.out.print(
                f"posture with {escape(model['model'])}: [bold]{after['posture'].upper()}[/] — "
                f"{escape(after['headline'])}"
            )
    summary = summarise(run.record.data)
    console.out.print(
        f"posture: [bold]{summary['posture'].upper()}[/] — {escape(summary['headline'])}"
    )
    for line in summary["top_risks"]:
        console.out.print(f"  risk: {escape(line)}")
    for name, entry in stages.items():
        if entry.get("status") == "skipped":
            console.out.print(f"[dim]{name}: skipped — {escape(entry.get('note', ''))}[/]")
    console.out.print(f"run directory: {escape(str(run.run_dir))}")
    if run.report_path.exists():
        console.out.print(f"report: {escape(str(run.report_path))}")
