"""``safedl attack NAME --target URL``: print a black-box attack on a served model."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from safedl.cli import console
from safedl.cli.console import pct


def remote_attack(
    name: str,
    params: dict[str, Any],
    target: str,
    api_key_env: str | None,
    data: str,
    limit: int | None,
    seed: int,
    as_json: bool,
) -> None:
    """Run the attack against ``target`` and print its metrics and the queries it sent."""
    from safedl.results import EvasionEntry
    from safedl.serve.remote_attack import run_remote_attack

    report = run_remote_attack(
        name, params, url=target, api_key_env=api_key_env, data=data, limit=limit, seed=seed
    )
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2))
        return
    entry = report.entry
    table = Table("metric", "value", title=f"{escape(entry.label)} on {escape(target)}")
    if isinstance(entry, EvasionEntry):
        table.add_row("clean accuracy", pct(entry.clean_accuracy))
        table.add_row("robust accuracy", pct(entry.robust_accuracy))
        table.add_row("attack success rate", pct(entry.attack_success_rate))
    else:
        table.add_row("status", f"{entry.status}: {escape(entry.note or '')}")
    table.add_row("queries sent", str(report.queries_sent))
    table.add_row("requests", str(report.requests))
    table.add_row("waited for rate limits", f"{report.waited_seconds:.0f} s")
    console.out.print(table)
