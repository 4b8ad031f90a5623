"""``safedl report`` (re-render a run, or print the record schema) and ``safedl compare``."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from safedl.api import load_record
from safedl.cli import console
from safedl.errors import ConfigError
from safedl.pipeline.record import record_schema
from safedl.reporting.compare import compare_records
from safedl.reporting.render import write_reports


def report_command(
    target: str = typer.Argument(..., help="A run directory, or 'schema' for the record schema."),
    fmt: str = typer.Option("md", "--format", "-f", help="md, html or json."),
) -> None:
    """Re-render a run's report from its record alone (or print the record's JSON Schema)."""
    if target == "schema" and not Path(target).is_dir():
        typer.echo(json.dumps(record_schema(), indent=2))
        return
    if fmt not in ("md", "html", "json"):
        raise ConfigError(f"--format {fmt!r}: choose md, html or json")
    run_dir = Path(target)
    record = load_record(run_dir)
    if fmt == "json":
        typer.echo(json.dumps(record, indent=2))
        return
    (name,) = write_reports(record, run_dir, [fmt])
    console.out.print(f"wrote {escape(str(run_dir / name))}")


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    return f"{100 * value:.1f}%" if unit == "rate" else f"{value:.2f}"


def _delta(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    return f"{100 * value:+.1f} pts" if unit == "rate" else f"{value:+.2f}"


def compare_command(
    run_a: str = typer.Argument(..., help="First run directory."),
    run_b: str = typer.Argument(..., help="Second run directory."),
    as_json: bool = typer.Option(False, "--json", help="Print the comparison as JSON."),
) -> None:
    """Show what changed between two runs: metrics and risks."""
    diff = compare_records(load_record(run_a), load_record(run_b))
    if as_json:
        typer.echo(json.dumps(diff, indent=2))
        return
    table = Table(
        "section", "what", "A", "B", "B − A", title=f"A = {escape(run_a)}   B = {escape(run_b)}"
    )
    for r in diff["rows"]:
        table.add_row(
            r["section"],
            escape(r["what"]),
            _fmt(r["a"], r["unit"]),
            _fmt(r["b"], r["unit"]),
            _delta(r["delta"], r["unit"]),
        )
    console.out.print(table)
    for c in diff["rating_changes"]:
        console.out.print(f"rating changed for {escape(c['attack'])}: {c['a']} → {c['b']}")
    if not diff["same_profile"]:
        console.out.print("[dim]the runs come from different profiles[/]")
