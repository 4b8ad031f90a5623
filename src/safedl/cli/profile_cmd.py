"""``safedl profile``: validate, schema, presets, show."""

from __future__ import annotations

import json

import typer
from rich.markup import escape
from rich.table import Table

from safedl.cli import console
from safedl.config import preset_names, profile_to_yaml
from safedl.profiles import load_profile, profile_schema

profile_app = typer.Typer(
    help="Validate profiles, print their schema, list and show presets.", no_args_is_help=True
)


@profile_app.command("validate")
def validate(path: str = typer.Argument(..., help="Profile file (YAML) or preset name.")) -> None:
    """Check a profile; print one line per problem (exit code 2) or a summary."""
    profile = load_profile(path)
    attacks = ", ".join(a.name for a in profile.attacks) or "none"
    if isinstance(profile.defenses, str):
        defenses = "the one the risk stage recommends for the top risk"
    else:
        defenses = ", ".join(d.name for d in profile.defenses) or "none"
    console.out.print(
        f"[green]valid[/]: {escape(path)} — profile [bold]{escape(profile.name)}[/], "
        f"dataset {escape(profile.dataset.name)}, model {escape(profile.model.name)}, "
        f"attacks: {escape(attacks)}, defenses: {escape(defenses)}"
    )


@profile_app.command("schema")
def schema() -> None:
    """Print the profile's JSON Schema (plugin params included)."""
    console.out.print_json(json.dumps(profile_schema()))


@profile_app.command("presets")
def presets() -> None:
    """List the profiles shipped with Safe-DL."""
    table = Table("preset", "dataset", "model", "attacks", "description")
    for name in preset_names():
        p = load_profile(name)
        table.add_row(
            name, p.dataset.name, p.model.name, ", ".join(a.name for a in p.attacks), p.description
        )
    console.out.print(table)


@profile_app.command("show")
def show(name: str = typer.Argument(..., help="Preset name or profile file.")) -> None:
    """Print a profile as YAML with every default spelled out (a start for your own)."""
    typer.echo(profile_to_yaml(load_profile(name)), nl=False)
