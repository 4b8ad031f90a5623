"""``safedl attack NAME``: one attack on one model and dataset, outside any profile."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from safedl.assess.standalone import AttackReport, Standalone, parse_params, run_spec
from safedl.cli import console
from safedl.cli.console import pct
from safedl.reporting.markdown_risk import victim_training
from safedl.results import EvasionEntry, PoisoningEntry

#: Rates printed as plain values in --json, their intervals under ``<key>_ci``.
RATES = (
    "clean_accuracy",
    "robust_accuracy",
    "attack_success_rate",
    "baseline_accuracy",
    "baseline_attack_success_rate",
)
CHECKS = {"basic": "basic", "full": "full", "none": None}


def attack_command(
    name: str = typer.Argument(..., help="Registered attack (safedl attacks list)."),
    model: str = typer.Option("small_cnn", help="Built-in architecture or path.py:factory."),
    weights: str | None = typer.Option(None, help="Weights (.safetensors or state dict)."),
    data: str = typer.Option("digits", help="Dataset name or spec (npz:PATH, folder:PATH, ...)."),
    param: list[str] = typer.Option([], "--param", "-p", help="Attack parameter key=value."),
    limit: int | None = typer.Option(None, min=1, help="Attack at most N test examples."),
    seed: int = typer.Option(0, help="Seed of the data split, training and the attack."),
    device: str = typer.Option("auto", help="auto, cpu or cuda."),
    batch_size: int = typer.Option(256, min=1, help="Batch size."),
    epochs: int = typer.Option(10, min=1, help="Training epochs when no --weights are given."),
    cache: str = typer.Option("runs/attack-cache", help="Where a trained model is kept."),
    checks: str = typer.Option(
        "basic",
        help="Validity checks: basic (zero gradients, determinism, bounds), full (also a very "
        "large ε and more steps/restarts) or none.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    target_url: str | None = typer.Option(
        None, "--target", help="Attack a served model at this URL (black-box attacks only)."
    ),
    api_key_env: str | None = typer.Option(
        None, "--api-key-env", help="Environment variable holding the endpoint's API key."
    ),
) -> None:
    """Run one attack, check the result's validity and print its metrics (95% CIs)."""
    if target_url is not None:
        from safedl.cli.attack_remote import remote_attack

        params = parse_params(param)
        remote_attack(name, params, target_url, api_key_env, data, limit, seed, as_json)
        return
    if checks not in CHECKS:
        raise typer.BadParameter("must be basic, full or none", param_hint="--checks")
    params = parse_params(param)
    target, report = run_spec(
        name,
        params,
        model=model,
        data=data,
        weights=weights,
        limit=limit,
        seed=seed,
        device=device,
        epochs=epochs,
        batch_size=batch_size,
        cache=cache,
        checks=CHECKS[checks],  # type: ignore[arg-type]
    )
    if as_json:
        typer.echo(json.dumps(_flat(report, target, model, weights, data), indent=2))
        return
    entry = report.entry
    title = f"{escape(entry.label)} on {data} ({getattr(entry, 'n', '?')} examples)"
    table = Table("metric", "value", title=title)
    if isinstance(entry, EvasionEntry):
        _evasion_rows(table, entry)
    elif isinstance(entry, PoisoningEntry):
        _poisoning_rows(table, entry)
    else:
        table.add_row("status", f"{entry.status}: {entry.note or ''}")
    for key, value in getattr(entry, "extra", {}).items():
        table.add_row(escape(key), escape(json.dumps(value)))
    table.add_row("reliable", "yes" if report.reliable else "[bold red]NO[/]")
    console.out.print(table)
    for f in report.validity:
        style = "bold red" if f.status == "fail" else "dim"
        console.out.print(f"[{style}]{f.id} {escape(f.name)}: {f.status} — {escape(f.finding)}[/]")
        if f.status == "fail" and f.hint:
            console.out.print(f"  hint: {escape(f.hint)}")


def _flat(
    report: AttackReport, target: Standalone, model: str, weights: str | None, data: str
) -> dict[str, Any]:
    """The --json shape: rates as values (intervals under ``*_ci``), validity, reliability."""
    out = report.to_dict()
    flat: dict[str, Any] = {
        "attack": out["attack"],
        "family": out["family"],
        "model": {
            "spec": model,
            "weights": weights,
            "trained": target.trained,
            "id": out.get("model_id"),
        },
        "data": data,
        **{k: v for k, v in out.items() if k not in ("attack", "family", "model", "model_id")},
    }
    for key in RATES:
        if isinstance(out.get(key), dict):
            flat[f"{key}_ci"] = out[key]
            flat[key] = out[key]["value"]
    return flat


def _evasion_rows(table: Table, entry: EvasionEntry) -> None:
    table.add_row("clean accuracy", pct(entry.clean_accuracy))
    table.add_row("robust accuracy", pct(entry.robust_accuracy))
    table.add_row("attack success rate", pct(entry.attack_success_rate))
    for norm in ("linf", "l2", "l0"):
        n = entry.norms.get(norm, {"mean": 0.0, "median": 0.0})
        table.add_row(f"{norm} norm (mean / median)", f"{n['mean']:.4f} / {n['median']:.4f}")
    table.add_row(
        "within bounds",
        "yes" if entry.within_bounds else f"NO (max violation {entry.max_violation:.2e})",
    )
    seconds, speed = entry.seconds or 0.0, entry.images_per_second or 0.0
    table.add_row("time", f"{seconds:.2f} s ({speed:.0f} images/s)")


def _poisoning_rows(table: Table, entry: PoisoningEntry) -> None:
    success = {
        "backdoor": "attack success rate (triggered, non-target)",
        "poisoning": "attack success rate",
    }[entry.family]
    table.add_row("victim clean accuracy", pct(entry.clean_accuracy))
    table.add_row("baseline clean accuracy", pct(entry.baseline_accuracy))
    table.add_row("accuracy drop", f"{100 * (entry.accuracy_drop or 0.0):+.2f} points")
    table.add_row(success, pct(entry.attack_success_rate))
    table.add_row("same, on the baseline", pct(entry.baseline_attack_success_rate))
    if entry.target_class_probability is not None:
        p = entry.target_class_probability
        table.add_row(
            "target-class probability", f"{p['baseline']:.3f} (baseline) → {p['victim']:.3f}"
        )
    table.add_row(
        "poisoned samples", f"{entry.poison_count} ({100 * (entry.poison_fraction or 0):.1f}%)"
    )
    table.add_row("labels changed", str(entry.labels_changed))
    table.add_row(
        "within bounds",
        "yes" if entry.within_bounds else f"NO (max violation {entry.max_violation:.2e})",
    )
    victim = entry.victim
    reused = "reused" if victim.get("reused") else f"trained in {victim.get('seconds', 0):.1f} s"
    how = victim_training({"victim": victim})
    table.add_row("victim", f"{entry.victim_artifact} ({how}, {reused})")
