"""``safedl run``: the whole assessment of one profile, resumable."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from safedl.cli import console
from safedl.pipeline.run import run_profile
from safedl.reporting.summary import summarise


def _pct(rate: dict[str, float]) -> str:
    return f"{100 * rate['value']:.1f}% [{100 * rate['low']:.1f}, {100 * rate['high']:.1f}]"


def run_command(
    profile: str = typer.Argument("demo", help="Profile file or preset name (default: demo)."),
    out: str | None = typer.Option(None, "--out", "-o", help="Run directory."),
    device: str | None = typer.Option(None, help="auto, cpu or cuda (overrides the profile)."),
    seed: int | None = typer.Option(None, help="Seed (overrides the profile)."),
) -> None:
    """Run the full assessment; running it again resumes an interrupted run."""
    if device is not None and device not in ("auto", "cpu", "cuda"):
        raise typer.BadParameter("must be auto, cpu or cuda", param_hint="--device")
    run = run_profile(profile, out=out, seed=seed, device=device)
    stages = run.record.stages
    base = stages.get("baseline", {}).get("result", {})
    if base:
        console.out.print(f"baseline clean accuracy: {_pct(base['test_accuracy'])}")
    attacks = stages.get("attacks", {}).get("result", {}).get("attacks", [])
    if attacks:
        table = Table("attack", "eps", "robust accuracy", "success rate", "images/s")
        for a in attacks:
            if a.get("status") == "done":
                table.add_row(
                    a["attack"],
                    str(a["params"].get("eps")),
                    _pct(a["robust_accuracy"]),
                    _pct(a["attack_success_rate"]),
                    f"{a['images_per_second']:.0f}",
                )
        console.out.print(table)
    summary = summarise(run.record.data)
    console.out.print(f"posture: [bold]{summary['posture'].upper()}[/] — {summary['headline']}")
    for line in summary["top_risks"]:
        console.out.print(f"  risk: {escape(line)}")
    for name, entry in stages.items():
        if entry.get("status") == "skipped":
            console.out.print(f"[dim]{name}: skipped — {escape(entry.get('note', ''))}[/]")
    console.out.print(f"run directory: {escape(str(run.run_dir))}")
    if run.report_path.exists():
        console.out.print(f"report: {escape(str(run.report_path))}")
