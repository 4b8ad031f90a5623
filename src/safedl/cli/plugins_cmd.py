"""``safedl attacks`` and ``safedl defenses``: list the catalogue and describe one plugin."""

from __future__ import annotations

import json

import typer
from rich.markup import escape
from rich.table import Table

from safedl.cli import console
from safedl.registry import ATTACKS, DEFENSES, Registry


def _list(registry: Registry) -> None:
    plugins = list(registry)
    foreign = any(info.source != "builtin" for info in plugins)
    table = Table()
    for column in ("name", "family", "access", "norms", *(["source"] if foreign else [])):
        table.add_column(column, no_wrap=True)
    table.add_column("summary", ratio=1)
    for info in plugins:
        cells = [info.name, info.family, info.access, ", ".join(info.norms)]
        table.add_row(*cells, *([info.source] if foreign else []), info.summary)
    if not registry.names():
        console.out.print(f"no {registry.kind}s are registered yet")
    else:
        console.out.print(table)
    for name, problem in registry.load_errors.items():
        console.err.print(
            f"[yellow]warning:[/] plugin {escape(name)} failed to load: {escape(problem)}"
        )


def _describe(registry: Registry, name: str) -> None:
    info = registry.get(name)
    console.out.print(
        f"[bold]{info.name}[/] — {info.kind}, family {info.family}, "
        f"access {info.access}, norms {', '.join(info.norms) or '-'}"
    )
    if info.paper:
        console.out.print(f"paper: {escape(info.paper)}")
    console.out.print(escape(info.doc), highlight=False)
    table = Table("param", "type", "default", "description", title="params")
    schema = info.config_model.model_json_schema()
    for key, field in info.config_model.model_fields.items():
        prop = schema.get("properties", {}).get(key, {})
        kind = (
            prop.get("type")
            or " | ".join(str(x.get("type", x.get("enum", ""))) for x in prop.get("anyOf", []))
            or str(prop.get("enum", ""))
        )
        table.add_row(
            key,
            escape(str(kind)),
            escape(json.dumps(field.default, default=str)),
            escape(field.description or ""),
        )
    console.out.print(table)


def _make(registry: Registry) -> typer.Typer:
    sub = typer.Typer(help=f"The {registry.kind} catalogue.", no_args_is_help=True)

    @sub.command("list")
    def list_() -> None:
        """List registered plugins (built-in and from installed packages)."""
        _list(registry)

    @sub.command("describe")
    def describe(name: str = typer.Argument(..., help="Plugin name.")) -> None:
        """Show a plugin's paper, threat, parameters and what it reports."""
        _describe(registry, name)

    return sub


attacks_app = _make(ATTACKS)
defenses_app = _make(DEFENSES)
