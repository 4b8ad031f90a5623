"""``safedl defend NAME --attack ATTACK``: one poisoning defense against one attack, alone.

``ATTACK`` is a registered poisoning or backdoor attack, optionally with its parameters:
``badnets``, ``badnets:poison_fraction=0.05,target_class=3``, ``label_flip:fraction=0.3``.
The defense's parameters come from ``-p key=value`` as for every defense. The model is trained
once into the cache (as for ``safedl attack``), the poisoned set and the victim are stored by
content key, and the defense is measured against the known poison
(:func:`safedl.assess.backdoor_defense.measure_backdoor_defense`). JSON output: ``baseline``
(the victim) and ``defended``, each with ``clean_accuracy`` and ``attack_success_rate`` as
fractions (and ``*_ci`` with their 95% intervals); ``detection`` with ``precision`` and
``recall`` (data filters) or ``far`` and ``frr`` (STRIP), fractions likewise; ``metrics``,
``cost`` and the full ``result``.
"""

from __future__ import annotations

import json
from typing import Any

import typer
import yaml
from rich.markup import escape
from rich.table import Table

from safedl.assess.backdoor_defense import measure_backdoor_defense
from safedl.assess.backdoor_victim import recipe_of
from safedl.assess.standalone import prepare
from safedl.cli import console
from safedl.cli.console import pct
from safedl.errors import ConfigError


def parse_attack(spec: str) -> tuple[str, dict[str, Any]]:
    """``"badnets:poison_fraction=0.05,target_class=3"`` → ``("badnets", {...})``."""
    name, _, rest = spec.partition(":")
    params: dict[str, Any] = {}
    for pair in filter(None, (p.strip() for p in rest.split(","))):
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(
                f"--attack {spec!r}: expected NAME or NAME:key=value,key=value",
                hint="e.g. --attack badnets:poison_fraction=0.1,target_class=0",
            )
        try:
            params[key.strip()] = yaml.safe_load(value)
        except yaml.YAMLError:
            raise ConfigError(f"--attack {spec!r}: cannot read the value {value!r}") from None
    if not name.strip():
        raise ConfigError("--attack needs an attack name, e.g. --attack badnets")
    return name.strip(), params


def _side(rates: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, r in rates.items():
        out[k] = None if r is None else r["value"]
        out[f"{k}_ci"] = r
    return out


def summary(result: dict[str, Any]) -> dict[str, Any]:
    """The CLI's JSON: fractions beside their intervals, then the full result."""
    det = result.get("detection")
    detection = None
    if det is not None:
        detection = {k: v for k, v in det.items() if not isinstance(v, (dict, list))}
        for k in ("precision", "recall", "far", "frr"):
            if k in det:
                detection[k] = det[k]["value"]
                detection[f"{k}_ci"] = det[k]
    return {
        "defense": result["defense"],
        "attack": result["attack"],
        "baseline": _side(result["baseline"]),
        "defended": _side(result["defended"]),
        "detection": detection,
        "metrics": result["metrics"],
        "cost": result["cost"],
        "result": result,
    }


def defend_against_poison(
    name: str,
    params: dict[str, Any],
    attack: str,
    *,
    model: str,
    data: str,
    weights: str | None,
    limit: int | None,
    seed: int,
    device: str,
    batch_size: int,
    epochs: int,
    cache: str,
    as_json: bool,
) -> None:
    """Measure defense ``name`` against ``attack`` and print it (table or JSON)."""
    attack_name, attack_params = parse_attack(attack)
    target = prepare(
        model,
        data,
        weights=weights,
        limit=limit,
        seed=seed,
        device=device,
        epochs=epochs,
        cache=cache,
    )
    recipe = recipe_of(target, seed=seed, batch_size=batch_size)
    result = measure_backdoor_defense(
        attack_name, name, recipe, attack_params=attack_params, defense_params=params
    )
    out = summary(result)
    if as_json:
        typer.echo(json.dumps(out, indent=2, default=str))
        return
    table = Table(
        "", "victim", "defended", title=f"{escape(name)} against {escape(attack)} on {escape(data)}"
    )
    for key, label in (
        ("clean_accuracy", "clean accuracy"),
        ("attack_success_rate", "attack success"),
    ):
        table.add_row(label, pct(result["baseline"][key]), pct(result["defended"][key]))
    det = result.get("detection") or {}
    for key in ("precision", "recall", "far", "frr"):
        if key in det:
            table.add_row(f"detection {key}", "", pct(det[key]))
    if "clean_discarded" in det:
        table.add_row(
            "clean samples discarded", "", f"{det['clean_discarded']} of {det['flagged']} flagged"
        )
    cost = result["cost"]
    table.add_row(
        "latency per image",
        f"{cost['baseline_latency_ms']:.3f} ms",
        f"{cost['latency_ms']:.3f} ms ({cost['latency_ratio']:.2f}×)",
    )
    table.add_row(
        "defense time",
        f"{cost['victim_train_seconds'] or 0:.1f} s (victim training)",
        f"{cost['train_seconds']:.1f} s",
    )
    console.out.print(table)


__all__ = ["defend_against_poison", "parse_attack", "summary"]
