"""``safedl defend NAME``: apply one defense and re-evaluate it, outside any profile."""

from __future__ import annotations

import json

import typer
from rich.markup import escape
from rich.table import Table

from safedl.assess.defend import defend_spec
from safedl.assess.standalone import parse_params
from safedl.cli import console
from safedl.cli.console import pct
from safedl.results.labels import number


def defend_command(
    name: str = typer.Argument(..., help="Registered defense (safedl defenses list)."),
    model: str = typer.Option("small_cnn", help="Built-in architecture or path.py:factory."),
    weights: str | None = typer.Option(None, help="Weights (.safetensors or state dict)."),
    data: str = typer.Option("digits", help="Dataset name or spec (npz:PATH, folder:PATH, ...)."),
    param: list[str] = typer.Option([], "--param", "-p", help="Defense parameter key=value."),
    eps: float | None = typer.Option(
        None, min=0.0, help="Budget it is re-evaluated at (default: the data's usual budget)."
    ),
    norm: str = typer.Option("linf", help="linf or l2."),
    limit: int | None = typer.Option(None, min=1, help="Evaluate on at most N test examples."),
    seed: int = typer.Option(0, help="Seed of the data split, training, defense and attacks."),
    device: str = typer.Option("auto", help="auto, cpu or cuda."),
    batch_size: int = typer.Option(256, min=1, help="Batch size."),
    epochs: int = typer.Option(10, min=1, help="Training epochs when no --weights are given."),
    cache: str = typer.Option("runs/attack-cache", help="Where trained models are kept."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    attack: str | None = typer.Option(
        None,
        help="Poisoning/backdoor attack to defend against, NAME[:key=value,...] "
        "(e.g. badnets:poison_fraction=0.1): measured against the known poison instead.",
    ),
) -> None:
    """Apply a defense, re-attack it adaptively and print what it bought and cost."""
    if attack is not None:
        from safedl.cli.defend_poison import defend_against_poison

        defend_against_poison(
            name,
            parse_params(param),
            attack,
            model=model,
            data=data,
            weights=weights,
            limit=limit,
            seed=seed,
            device=device,
            batch_size=batch_size,
            epochs=epochs,
            cache=cache,
            as_json=as_json,
        )
        return
    if norm not in ("linf", "l2"):
        raise typer.BadParameter("must be linf or l2", param_hint="--norm")
    report = defend_spec(
        name,
        parse_params(param),
        model=model,
        data=data,
        weights=weights,
        limit=limit,
        seed=seed,
        device=device,
        epochs=epochs,
        batch_size=batch_size,
        cache=cache,
        eps=eps,
        norm=norm,  # type: ignore[arg-type]
    )
    out = report.to_dict()
    if as_json:
        typer.echo(json.dumps(out, indent=2, default=str))
        return
    table = Table("", "baseline", "defended", title=f"{escape(name)} on {escape(data)}")
    table.add_row(
        "clean accuracy",
        pct(out["baseline"]["clean_accuracy_ci"]),
        pct(out["defended"]["clean_accuracy_ci"]),
    )
    for b in out["budgets"]:
        what = f"robust, {b['norm']} ε = {number(b['eps'])}"
        table.add_row(
            what + " (adaptive worst case)",
            pct(b["baseline_robust_accuracy"]),
            pct(b["robust_accuracy"]),
        )
        table.add_row("  non-adaptive (plan only)", "", pct(b["non_adaptive_robust_accuracy"]))
        m = b["mitigation"]
        table.add_row(
            "  change (paired)",
            "",
            f"{100 * m['difference']:+.1f} pts [{100 * m['low']:+.1f}, {100 * m['high']:+.1f}], "
            f"McNemar p = {m['p_value']:.2g}",
        )
    cost = out["cost"]
    table.add_row(
        "latency per image",
        f"{cost['baseline_latency_ms']:.3f} ms",
        f"{cost['latency_ms']:.3f} ms ({cost['latency_ratio']:.2f}×)",
    )
    table.add_row(
        "training time",
        f"{cost['baseline_train_seconds'] or 0:.1f} s",
        f"{cost['train_seconds']:.1f} s",
    )
    console.out.print(table)
    for b in out["budgets"]:
        if b["holds_only_without_adaptive_attacks"]:
            console.out.print(
                f"[bold red]ε = {number(b['eps'])}: the defense holds only without adaptive "
                "attacks — the non-adaptive figure is not its robustness[/]"
            )
        for step in b["cascade"]:
            console.out.print(
                f"[dim]  {escape(step['adaptive'])}: ran on {step['ran_on']}, "
                f"{step.get('robust_after', 0)} still robust[/]"
            )
