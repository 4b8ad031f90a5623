"""``safedl monitor report LOG``: what a server's request log says, flags and clients first."""

from __future__ import annotations

import json

import typer
from rich.markup import escape
from rich.table import Table

from safedl.cli import console

monitor_app = typer.Typer(help="Monitoring: summarise a served model's request log.")


@monitor_app.command("report")
def report_command(
    log: str = typer.Argument(..., help="JSON-lines request log written by safedl serve."),
    plots: str | None = typer.Option(None, help="Write score histograms (PNG) here."),
    export: str | None = typer.Option(None, help="Write the flagged inputs to this .npz."),
    flagged_dir: str | None = typer.Option(None, help="Where the server kept flagged inputs."),
    min_flags: int = typer.Option(1, min=1, help="Flags that put a client over threshold."),
    benign: list[str] = typer.Option(
        [],
        "--benign",
        help="A client whose queries are a benign stream (repeatable): each detector's "
        "false-positive rate is measured on them, and every other client is an attack.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Requests, flags per detector and client, clients over threshold, score plots."""
    from safedl.errors import ConfigError
    from safedl.serve.monitor_report import export_flagged, plot_scores, read_log

    summary = read_log(log)
    data = summary.to_dict(min_flags, benign)
    if plots:
        data["plots"] = [str(p) for p in plot_scores(summary, plots)]
    if export:
        if not flagged_dir:
            raise ConfigError("--export needs --flagged-dir (the serve config's flagged_dir)")
        data["exported"] = {"path": export, "images": export_flagged(summary, flagged_dir, export)}
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    statuses = ", ".join(f"{k}: {v}" for k, v in data["by_status"].items())
    console.out.print(f"{data['requests']} requests ({statuses})")
    table = Table("client", "requests", "images", *sorted(summary.flags), title="by client")
    for client, n in summary.by_client.most_common():
        counts = [str(summary.flags[d].get(client, 0)) for d in sorted(summary.flags)]
        table.add_row(escape(client), str(n), str(summary.images.get(client, 0)), *counts)
    console.out.print(table)
    for row in data["clients_over_threshold"]:
        console.out.print(
            f"[bold red]{escape(row['client'])}[/]: {row['flags']} flags by {row['detector']} "
            f"(first at request {row['first_flag_at_request']} of {row['requests']}, "
            f"within its first {row['first_flag_within_queries']} queries)"
        )
    if benign:
        _print_benign(data)
    for p in data.get("plots", []):
        console.out.print(f"plot: {escape(p)}")
    if "exported" in data:
        e = data["exported"]
        console.out.print(f"exported {e['images']} flagged inputs to {escape(e['path'])}")


def _print_benign(data: dict[str, object]) -> None:
    from safedl.cli.console import pct

    ben = data["benign"]
    assert isinstance(ben, dict)
    table = Table("detector", "false-positive rate", "requests", title="on the benign stream")
    for det, r in ben["false_positive_rate"].items():
        table.add_row(escape(det), pct(r), str(r["n"]))
    console.out.print(table)
    rows = data["detection"]
    assert isinstance(rows, list)
    table = Table("client", "detector", "queries", "flags", "first flagged within", title="attacks")
    for row in rows:
        first = row["first_flag_within_queries"]
        table.add_row(
            escape(row["client"]),
            escape(row["detector"]),
            str(row["queries"]),
            str(row["flags"]),
            "never" if first is None else f"{first} queries",
        )
    console.out.print(table)
