"""``safedl attacks`` and ``safedl defenses``: list the catalogue and describe one plugin."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from safedl.attacks.docs import parameters, split_sections
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
    """Everything about one plugin: its metadata, the docstring's sections and its params."""
    info = registry.get(name)
    doc = split_sections(info.doc)
    console.out.print(
        f"[bold]{escape(info.name)}[/] — {info.kind}, family {escape(info.family)}, "
        f"access {escape(info.access)}, norms {escape(', '.join(info.norms) or '-')}"
        + (f", from {escape(info.source)}" if info.source != "builtin" else "")
    )
    if doc.summary:
        console.out.print(escape(doc.summary), highlight=False)
    sections = Table.grid(padding=(0, 2))
    sections.add_column(style="bold", no_wrap=True)
    sections.add_column(ratio=1)
    paper = doc.sections.get("Paper") or info.paper
    if paper:
        sections.add_row("paper", escape(paper))
    for title, text in doc.sections.items():
        if title not in ("Paper", "Parameters", "Reports"):
            sections.add_row(title.lower(), escape(text))
    if "Reports" in doc.sections:
        sections.add_row("reports", escape(doc.sections["Reports"]))
    if sections.row_count:
        console.out.print()
        console.out.print(sections, highlight=False)
    for note in doc.notes:
        console.out.print()
        console.out.print(escape(note), highlight=False)
    console.out.print()
    table = Table("param", "type", "default", "description", title="params")
    for p in parameters(info.config_model):
        table.add_row(p.name, escape(p.type), escape(p.default), escape(p.description))
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
