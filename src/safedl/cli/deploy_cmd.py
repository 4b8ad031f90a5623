"""``safedl deploy check``: the deployment checklist, as a CI gate.

Exit codes: 0 when no check failed at or above ``--fail-on`` (default high), 1 when one did,
2 for bad input (the CLI's ``main`` turns every SafeDLError into one message and exit 2).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from safedl.cli import console
from safedl.errors import ConfigError

if TYPE_CHECKING:
    from safedl.deploy import DeployReport

FORMATS = ("table", "json", "sarif", "junit")
SEVERITIES = ("low", "medium", "high", "critical")
_STATUS_STYLE = {"pass": "green", "fail": "bold red", "skip": "dim", "manual": "yellow"}

deploy_app = typer.Typer(
    help="Secure-deployment checklist: static checks, endpoint probes, CI gate.",
    no_args_is_help=True,
)


def _table(report: DeployReport) -> Table:
    table = Table("id", "status", "severity", "evidence", "fix", title="safedl deploy check")
    for r in report.results:
        style = _STATUS_STYLE[r.status.value]
        severity = r.severity.value + (" ↑" if r.severity.rank > r.default_severity.rank else "")
        severity += " ↓" if r.severity.rank < r.default_severity.rank else ""
        evidence = r.evidence
        if r.locations:
            evidence += " — " + ", ".join(str(loc) for loc in r.locations[:3])
        table.add_row(
            r.id,
            f"[{style}]{r.status.value}[/]",
            severity,
            escape(evidence),
            escape(r.fix) if r.status.value in ("fail", "manual") else "",
        )
    return table


@deploy_app.command("check")
def check_command(
    paths: list[Path] = typer.Argument(
        None, help="Model files and/or project folders (source, requirements, Dockerfile)."
    ),
    run: Path | None = typer.Option(
        None, "--run", help="A Safe-DL run directory: the assessed model, threat model, results."
    ),
    url: str | None = typer.Option(None, "--url", help="Base URL of a live endpoint to probe."),
    api_key_env: str | None = typer.Option(
        None, "--api-key-env", help="Name of the environment variable holding the API key."
    ),
    fmt: str = typer.Option("table", "--format", "-f", help="table, json, sarif or junit."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the report here."),
    fail_on: str = typer.Option(
        "high", "--fail-on", help="Exit 1 when a check fails at this severity or above."
    ),
    config: Path | None = typer.Option(None, "--config", help="Deploy config (YAML)."),
    allow_pickle: bool = typer.Option(
        False, "--allow-pickle", help="Waive DC01 for pickle-based model files."
    ),
    offline: bool = typer.Option(
        False, "--offline", help="Do not query the vulnerability database (DC10 skipped)."
    ),
    max_requests: int | None = typer.Option(
        None, "--max-requests", help="Probe request bound (default 60)."
    ),
    max_seconds: float | None = typer.Option(
        None, "--max-seconds", help="Probe time bound in seconds (default 20)."
    ),
) -> None:
    """Check model files, a project tree, a run and an endpoint before deployment."""
    from safedl.deploy import load_options, run_checks, validate_options

    if fmt not in FORMATS:
        raise ConfigError(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}")
    if fail_on not in SEVERITIES:
        raise ConfigError(f"--fail-on {fail_on!r}: choose one of {', '.join(SEVERITIES)}")
    api_key = None
    if api_key_env:
        api_key = os.environ.get(api_key_env)
        if not api_key:
            raise ConfigError(
                f"--api-key-env {api_key_env}: the environment variable is not set or empty",
                hint=f"export {api_key_env}=... before running the check",
            )
    overrides: dict[str, object] = {}
    if allow_pickle:
        overrides["allow_pickle"] = True
    options = load_options(config, **overrides) if config else validate_options(overrides)
    probe = options.probe.model_copy(
        update={
            k: v
            for k, v in (("max_requests", max_requests), ("max_seconds", max_seconds))
            if v is not None
        }
    )
    options = validate_options(
        {**options.model_dump(exclude={"audit_runner"}), "probe": probe.model_dump()},
        source="command-line options",
    )
    report = run_checks(
        list(paths or []),
        run_dir=run,
        url=url,
        api_key=api_key,
        options=options,
        offline=offline,
    )
    from safedl.deploy import Severity

    if fmt == "json":
        text = json.dumps(report.to_dict(), indent=2)
    elif fmt == "sarif":
        text = json.dumps(report.to_sarif(), indent=2)
    elif fmt == "junit":
        text = report.to_junit()
    else:
        text = ""
    if output is not None:
        if fmt == "table":
            from safedl.deploy import render_markdown

            text = render_markdown(report)
        try:
            output.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"--output {output}: cannot write ({exc.strerror})") from None
    if fmt == "table" or output is not None:
        console.out.print(_table(report))
    else:
        typer.echo(text)
    failing = report.failures(Severity(fail_on))
    counts = report.counts()
    summary = (
        f"{counts['pass']} passed, {counts['fail']} failed, {counts['skip']} skipped, "
        f"{counts['manual']} manual"
    )
    if output is not None:
        summary += f"; wrote {output}"
    if failing:
        ids = ", ".join(r.id for r in failing)
        console.err.print(
            f"[bold red]deploy check failed[/] at --fail-on {fail_on}: {ids} ({summary})"
        )
        raise typer.Exit(1)
    console.err.print(f"[green]deploy check passed[/] at --fail-on {fail_on} ({summary})")
