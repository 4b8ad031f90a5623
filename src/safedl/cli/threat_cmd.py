"""``safedl threat-model``: questionnaire → attacker model, ranked threats, attack plan, profile.

safedl threat-model [--preset NAME] [--answers FILE] [--out PROFILE.yaml] [--force]
                    [--base PROFILE_OR_PRESET] [--name NAME] [--yes] [--example-answers]
safedl threat-model presets
safedl threat-model show PROFILE_OR_PRESET [--json]
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from safedl.atomic import atomic_write_text
from safedl.cli import console
from safedl.config.loader import read_yaml
from safedl.errors import ConfigError
from safedl.profiles import assess_profile, load_profile, profile_name, profile_text, threat_profile
from safedl.threat import (
    PRESETS,
    ThreatAssessment,
    assess,
    assess_answers,
    example_answers,
    get_preset,
    parse_answers,
    resolve_answers,
)
from safedl.threat.tables import attacker_table, gaps_table, plan_table, threat_table

threat_app = typer.Typer(invoke_without_command=True)


def print_assessment(assessment: ThreatAssessment) -> None:
    """Attacker model, threat table, attack plan and gaps, on stdout."""
    console.out.print(attacker_table(assessment))
    console.out.print(threat_table(assessment))
    console.out.print(plan_table(assessment))
    if assessment.gaps:
        console.out.print(gaps_table(assessment))
    else:
        console.out.print("[dim]no gaps: every question was answered[/]")


def _interactive_answers(preset: str | None) -> dict[str, tuple[str, ...]]:
    from safedl.threat.questionnaire import ask

    defaults = parse_answers(get_preset(preset).answers, f"preset:{preset}") if preset else None
    if preset:
        console.out.print(
            f"Starting from preset [bold]{escape(preset)}[/]: press Enter to keep an answer."
        )
    answers = ask(defaults)
    if answers is None:
        console.error("cancelled; nothing was written")
        raise typer.Exit(1)
    return answers


@threat_app.callback()
def threat_model(
    ctx: typer.Context,
    preset: str | None = typer.Option(
        None, "--preset", "-p", help="Start from a preset (see: safedl threat-model presets)."
    ),
    answers_file: Path | None = typer.Option(
        None, "--answers", "-a", help="Answers file (YAML); skips the questionnaire."
    ),
    out: Path = typer.Option(Path("profile.yaml"), "--out", "-o", help="Profile to write."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing --out file."),
    base: str = typer.Option(
        "demo", "--base", help="Profile (file or preset) whose dataset, model and settings to use."
    ),
    name: str | None = typer.Option(None, "--name", help="Profile name (default: from --out)."),
    yes: bool = typer.Option(
        False, "--yes", "-y", help="Do not ask: take the preset's answers as they are."
    ),
    example: bool = typer.Option(
        False, "--example-answers", help="Print a commented answers template and exit."
    ),
) -> None:
    """Threat-model a system: questionnaire → attacker model, ranked threats, attack plan.

    Asks the questionnaire in a terminal (or reads --answers; --preset with --yes asks nothing),
    prints the assessment and writes a new profile whose attacks are the available part of the
    plan. 'Don't know' is always an answer: it is assumed conservatively and listed as a gap.
    An existing --out file is only replaced with --force.
    """
    if ctx.invoked_subcommand is not None:
        return
    if example:
        typer.echo(example_answers(preset), nl=False)
        return
    if out.is_dir():
        raise ConfigError(f"{out}: is a directory; give --out a profile file such as my.yaml")
    if out.exists() and not force:
        raise ConfigError(f"{out}: file exists; choose another --out or pass --force")
    base_profile = load_profile(base)
    interactive = answers_file is None and not yes and sys.stdin.isatty()
    if answers_file is None and preset is None and not interactive:
        raise ConfigError(
            "no answers: standard input is not a terminal, so the questionnaire cannot run",
            hint="pass --answers FILE (template: safedl threat-model --example-answers) "
            "or --preset NAME",
        )
    if interactive:
        answers, missing = resolve_answers(_interactive_answers(preset), preset)
    else:
        raw = read_yaml(answers_file) if answers_file is not None else None
        source = str(answers_file) if answers_file is not None else "<answers>"
        answers, missing = resolve_answers(raw, preset, require_all=True, source=source)
    assessment = assess_answers(answers, missing)
    profile = threat_profile(
        base_profile,
        name=name or profile_name(out),
        preset=preset,
        answers=answers,
        assessment=assessment,
    )
    print_assessment(assessment)
    atomic_write_text(out, profile_text(profile, assessment))
    n_ok, n_missing = len(assessment.available()), len(assessment.unavailable())
    console.out.print(
        f"wrote {escape(str(out))}: {n_ok} available attack(s) in its plan, "
        f"{n_missing} planned but unavailable; run it with: safedl run {escape(str(out))}",
        highlight=False,
    )


@threat_app.command("presets")
def presets() -> None:
    """List the threat-model presets and what each one plans."""
    table = Table(caption="attacks: available/planned in this installation")
    table.add_column("preset / context", min_width=18, ratio=1)
    table.add_column("knowledge", no_wrap=True)
    table.add_column("top threats", no_wrap=True)
    table.add_column("attacks", justify="right")
    for preset_name, preset in sorted(PRESETS.items()):
        result = assess(preset=preset_name)
        top = "\n".join(t.id for t in result.threats[:3])
        table.add_row(
            f"[bold]{preset_name}[/]\n[dim]{escape(preset.title)}[/]",
            result.attacker.knowledge,
            top,
            f"{len(result.available())}/{len(result.plan)}",
        )
    console.out.print(table)


@threat_app.command("show")
def show(
    target: str = typer.Argument(..., help="Profile file, profile preset or threat preset."),
    as_json: bool = typer.Option(False, "--json", help="Print the assessment as JSON."),
) -> None:
    """Print the threat table, attack plan and gaps of a profile's threat model."""
    if not Path(target).is_file() and target in PRESETS:
        assessment = assess(preset=target)
    else:
        profile = load_profile(target)
        found = assess_profile(profile)
        if found is None:
            raise ConfigError(
                f"{target}: the profile has no threat model (threat_model.preset or answers)",
                hint=f"create one: safedl threat-model --base {target} --out NEW.yaml",
            )
        assessment = found
    if as_json:
        console.out.print_json(assessment.model_dump_json())
        return
    print_assessment(assessment)


__all__ = ["print_assessment", "threat_app"]
