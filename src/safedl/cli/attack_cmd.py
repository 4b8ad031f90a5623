"""``safedl attack NAME``: one attack on one model and dataset, outside any profile."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from safedl.attacks.poisoning.evaluate import PoisoningResult
from safedl.attacks.standalone import Standalone, parse_params, run_spec
from safedl.cli import console
from safedl.reporting.markdown_risk import victim_training


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
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Run one attack and print its metrics (95% CIs)."""
    params = parse_params(param)
    target, result = run_spec(
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
    )
    if isinstance(result, PoisoningResult):
        _poisoning(name, result, target, model, weights, data, as_json)
        return
    out = result.to_dict()
    if as_json:
        flat = {
            "attack": name,
            "clean_accuracy": result.clean_accuracy.value,
            "robust_accuracy": result.robust_accuracy.value,
            "attack_success_rate": result.attack_success_rate.value,
            "images_per_second": result.images_per_second,
            "model": {"spec": model, "weights": weights, "trained": target.trained},
            "data": data,
            **{k: v for k, v in out.items() if k not in ("attack",)},
        }
        flat["clean_accuracy_ci"] = out["clean_accuracy"]
        flat["robust_accuracy_ci"] = out["robust_accuracy"]
        flat["attack_success_rate_ci"] = out["attack_success_rate"]
        for key in ("clean_accuracy", "robust_accuracy", "attack_success_rate"):
            flat[key] = out[key]["value"]
        typer.echo(json.dumps(flat, indent=2))
        return
    table = Table("metric", "value", title=f"{name} on {data} ({result.n} examples)")
    table.add_row("clean accuracy", str(result.clean_accuracy))
    table.add_row("robust accuracy", str(result.robust_accuracy))
    table.add_row("attack success rate", str(result.attack_success_rate))
    for norm in ("linf", "l2", "l0"):
        n = result.norms[norm]
        table.add_row(f"{norm} norm (mean / median)", f"{n['mean']:.4f} / {n['median']:.4f}")
    table.add_row(
        "within bounds",
        "yes" if result.within_bounds else f"NO (max violation {result.max_violation:.2e})",
    )
    table.add_row("time", f"{result.seconds:.2f} s ({result.images_per_second:.0f} images/s)")
    for key, value in result.extra.items():
        table.add_row(escape(key), escape(json.dumps(value)))
    console.out.print(table)


def _poisoning(
    name: str,
    result: PoisoningResult,
    target: Standalone,
    model: str,
    weights: str | None,
    data: str,
    as_json: bool,
) -> None:
    """Print a poisoning result: the victim against the model it was poisoned from."""
    out = result.to_dict()
    if as_json:
        flat: dict[str, Any] = {
            "attack": name,
            "family": result.family,
            "model": {"spec": model, "weights": weights, "trained": target.trained},
            "data": data,
            **{k: v for k, v in out.items() if k != "attack"},
        }
        for key in (
            "clean_accuracy",
            "baseline_accuracy",
            "attack_success_rate",
            "baseline_attack_success_rate",
            "robust_accuracy",
        ):
            flat[f"{key}_ci"] = out[key]
            flat[key] = out[key]["value"]
        typer.echo(json.dumps(flat, indent=2))
        return
    success = {
        "backdoor": "attack success rate (triggered, non-target)",
        "poisoning": "attack success rate",
    }[result.family]
    table = Table("metric", "value", title=f"{name} on {data} ({result.n} test examples)")
    table.add_row("victim clean accuracy", str(result.clean_accuracy))
    table.add_row("baseline clean accuracy", str(result.baseline_accuracy))
    table.add_row("accuracy drop", f"{100 * result.accuracy_drop:+.2f} points")
    table.add_row(success, str(result.attack_success_rate))
    table.add_row("same, on the baseline", str(result.baseline_attack_success_rate))
    if result.target_class_probability is not None:
        p = result.target_class_probability
        table.add_row(
            "target-class probability", f"{p['baseline']:.3f} (baseline) → {p['victim']:.3f}"
        )
    table.add_row(
        "poisoned samples", f"{result.poison_count} ({100 * result.poison_fraction:.1f}%)"
    )
    table.add_row("labels changed", str(result.labels_changed))
    table.add_row(
        "within bounds",
        "yes" if result.within_bounds else f"NO (max violation {result.max_violation:.2e})",
    )
    reused = "reused" if result.victim["reused"] else f"trained in {result.victim['seconds']:.1f} s"
    how = victim_training({"victim": result.victim})
    table.add_row("victim", f"{result.victim_artifact} ({how}, {reused})")
    for key, value in result.extra.items():
        table.add_row(escape(key), escape(json.dumps(value)))
    console.out.print(table)
