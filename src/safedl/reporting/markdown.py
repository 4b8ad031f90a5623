"""Render a run record as Markdown. Reads the record only; never re-runs work."""

from __future__ import annotations

from typing import Any

from safedl.reporting.markdown_defenses import defenses_markdown
from safedl.reporting.markdown_risk import (
    pct,
    poisoning_markdown,
    privacy_markdown,
    risk_markdown,
    summary_markdown,
)
from safedl.reporting.summary import SCOPE_WORDS, annotate
from safedl.results.labels import number
from safedl.threat.report import threat_model_markdown


def _baseline(result: dict[str, Any]) -> list[str]:
    if not result:
        return ["No baseline was evaluated."]
    ds, model = result.get("dataset", {}), result.get("model", {})
    sizes = ds.get("sizes", {})
    lines = [
        f"- Dataset: **{ds.get('name')}**, input {tuple(ds.get('input_shape', []))}, "
        f"{len(ds.get('classes', []))} classes; train/val/test = "
        f"{sizes.get('train')}/{sizes.get('val')}/{sizes.get('test')}",
    ]
    if result.get("source") == "remote":
        return [*lines, *_remote_baseline(result)]
    lines += [
        f"- Model: **{model.get('name')}** ({model.get('parameters', 0):,} parameters)",
        f"- Clean test accuracy: **{pct(result.get('test_accuracy'))}** (95% CI)",
    ]
    training = result.get("training")
    if training:
        reused = " (reused from the artifact store)" if result.get("reused") else ""
        lines.append(
            f"- Trained {training['epochs_run']} epochs in {training['seconds']:.1f} s "
            f"({training['samples_per_second']:.0f} samples/s), kept epoch "
            f"{training['best_epoch']}{reused}"
        )
    elif result.get("weights"):
        lines.append(f"- Weights loaded from `{result['weights']}`")
    return lines


def _remote_baseline(result: dict[str, Any]) -> list[str]:
    model = result.get("model", {})
    output = model.get("output") or {}
    detectors = ", ".join(model.get("detectors") or []) or "none declared"
    return [
        f"- Model: **served at {model.get('endpoint')}** (model id "
        f"`{model.get('served_model_id')}`, output {output.get('mode', 'unknown')}, detectors: "
        f"{detectors}) — assessed through its queries only: white-box attacks, poisoning, the "
        "validity checks and defenses need the model itself and are left out",
        f"- Clean test accuracy: **{pct(result.get('test_accuracy'))}** (95% CI), measured on "
        f"{result.get('accuracy_measured_on', 'the evaluation set')}",
    ]


def _attacks(result: dict[str, Any]) -> list[str]:
    attacks = annotate(result)
    if not attacks:
        return ["No attacks were run."]
    source = "the threat model's plan" if result.get("plan_source") == "threat_model" else None
    lines = [f"The attacks come from {source}.", ""] if source else []
    lines += [
        "| attack | scope | clean accuracy | robust accuracy | success rate | mean L∞ | "
        "images/s | within bounds |",
        "|---|---|---|---|---|---|---|---|",
    ]
    notes = []
    evasion = [a for a in attacks if a.get("family", "evasion") == "evasion"]
    for a in attacks:
        if a.get("status") != "done":
            notes.append(f"- `{a['attack']}`: {a.get('note', a.get('status'))}")
    for a in evasion:
        if a.get("status") != "done":
            continue
        lines.append(
            f"| {a.get('label') or a['attack']} | {SCOPE_WORDS.get(a.get('scope', ''), '')} | "
            f"{pct(a['clean_accuracy'])} | "
            f"{pct(a['robust_accuracy'])} | {pct(a['attack_success_rate'])} | "
            f"{a['norms']['linf']['mean']:.4f} | {a['images_per_second']:.0f} | "
            f"{'yes' if a['within_bounds'] else 'NO — ' + format(a['max_violation'], '.2e')} |"
        )
    if notes:
        lines += ["", *notes]
    n = next((a.get("n") for a in evasion if a.get("status") == "done"), None)
    if n:
        lines += [
            "",
            f"Each evasion attack ran on the same {n} test examples; intervals are 95% Wilson.",
        ]
    lines += poisoning_markdown(attacks)
    lines += privacy_markdown(attacks)
    unreliable = [a for a in attacks if a.get("status") == "done" and not a["reliable"]]
    for a in unreliable:
        lines.append(
            f"- **Unreliable — assume worse:** {a.get('label') or a['attack']} "
            f"failed validity check(s) {', '.join(a['unreliable_because'])}."
        )
    for a in attacks:
        if a.get("scope") in ("stress_test", "outside_threat_model") and a.get("status") == "done":
            lines.append(
                f"- **{SCOPE_WORDS[a['scope']].capitalize()}:** {a.get('label') or a['attack']}"
                f" — {a.get('scope_reason', '')}"
            )
    for what, why in (result.get("skipped") or {}).items():
        lines.append(f"- Not measured: {what} — {why}.")
    left = result.get("left_out", [])
    if left:
        lines += ["", "Planned attacks this run left out:", ""]
        lines += [
            f"- `{p['name']}`"
            + (f" (for {', '.join(p['threat_ids'])})" if p.get("threat_ids") else "")
            + f": {p['why']}"
            for p in left
        ]
    worst = result.get("worst_case", [])
    if worst:
        lines += [
            "",
            "### Worst case per budget",
            "",
            "A point counts as robust only if every attack at that budget missed it.",
            "",
            "| norm | ε | attacks | worst-case robust accuracy |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {w['norm']} | {number(w['eps'])} | {', '.join(w['attacks'])} | "
            f"{pct(w['robust_accuracy'])} |"
            for w in worst
        ]
    plots = result.get("plots", {})
    if plots.get("robustness_curves"):
        lines += [
            "",
            "### Robustness curves",
            "",
            f"![accuracy against ε]({plots['robustness_curves']})",
        ]
        for c in result.get("curves", []):
            pts = ", ".join(
                f"{number(p['eps'])}: {100 * p['accuracy']:.1f}%"
                + ("*" if p.get("scope") == "stress_test" else "")
                for p in c["points"]
            )
            lines.append(f"- {c['attack']} ({c['norm']}, {c['n']} examples) — {pts}")
            if c.get("stress_test_from") is not None:
                lines.append(
                    "  (* stress test: beyond the attacker model from ε = "
                    f"{number(c['stress_test_from'])})"
                )
    if plots.get("per_class"):
        lines += ["", "### Accuracy per class", "", f"![accuracy per class]({plots['per_class']})"]
    if plots.get("examples"):
        lines += ["", "### Examples", ""]
        for i, path in plots["examples"].items():
            lines.append(f"![{attacks[int(i)]['attack']} examples]({path})")
    validity = result.get("validity", [])
    if validity:
        lines += [
            "",
            "### Validity checks",
            "",
            "| id | check | status | finding | hint |",
            "|---|---|---|---|---|",
        ]
        for f in validity:
            status = "**FAIL**" if f["status"] == "fail" else f["status"]
            lines.append(f"| {f['id']} | {f['name']} | {status} | {f['finding']} | {f['hint']} |")
    return lines


def _threat_model(result: dict[str, Any]) -> list[str]:
    return ["## Threat model", *threat_model_markdown(result), ""]


def render_markdown(record: dict[str, Any]) -> str:
    """The run's report as Markdown."""
    stages = record.get("stages", {})
    profile = record.get("profile", {})
    env = record.get("environment", {})
    out = [
        f"# Safe-DL assessment: {profile.get('name')}",
        "",
        profile.get("description") or "",
        "",
        *summary_markdown(record),
        "## System under evaluation",
        *_baseline(stages.get("baseline", {}).get("result", {})),
        "",
        *_threat_model(stages.get("threat_model", {}).get("result", {})),
        "## Attacks",
        *_attacks(stages.get("attacks", {}).get("result", {})),
        "",
        *risk_markdown(
            stages.get("risk", {}).get("result", {}), stages.get("risk", {}).get("note")
        ),
        *defenses_markdown(
            stages.get("defenses", {}).get("result", {}),
            stages.get("reevaluation", {}).get("result", {}),
        ),
        stages.get("deploy", {}).get("result", {}).get("markdown", ""),
        "## Stages",
        "| stage | status | seconds | note |",
        "|---|---|---|---|",
    ]
    for name, entry in stages.items():
        if name == "report":
            continue
        out.append(
            f"| {name} | {entry.get('status')} | {entry.get('seconds', '')} | "
            f"{entry.get('note', '')} |"
        )
    packages = ", ".join(f"{k} {v}" for k, v in env.get("packages", {}).items() if v)
    out += [
        "",
        "## Reproducibility",
        f"- Profile hash: `{profile.get('hash')}`; seed {record.get('seed')}; "
        f"device {record.get('device')}",
        f"- Python {env.get('python')} on {env.get('platform')} ({env.get('cpu_count')} CPUs)",
        f"- Packages: {packages}",
        f"- Record version {record.get('record_version')}, created {record.get('created')}, "
        f"resumed {record.get('resumed', 0)} time(s)",
        "",
    ]
    return "\n".join(out)
