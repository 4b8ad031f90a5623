"""The attack stage's figures: robustness curves, per-class accuracy, examples, poisoning.

Drawn from the entries and the outcomes in the artifact store; nothing is attacked again.
"""

from __future__ import annotations

from typing import Any

from safedl.pipeline.context import RunContext
from safedl.pipeline.stages.poisoning_plots import write_plots
from safedl.reporting.plots import plot_curves, plot_examples, plot_per_class
from safedl.results import AttackEntry, EvasionEntry, PoisoningEntry
from safedl.results.labels import NORMS, number


def _per_class_rows(ctx: RunContext, entries: list[AttackEntry]) -> dict[str, dict[str, float]]:
    """Clean accuracy per class name, then each evasion attack's robust accuracy per class."""
    classes = ctx.splits().classes
    rows = {"clean": dict(ctx.record.result("baseline").get("per_class_accuracy", {}))}
    for i, e in enumerate(entries):
        if isinstance(e, EvasionEntry) and e.status == "done" and e.per_class_robust_accuracy:
            label = f"#{i} {e.label}"
            rows[label] = {classes[int(c)]: v for c, v in e.per_class_robust_accuracy.items()}
    return rows


def plots(
    ctx: RunContext, entries: list[AttackEntry], curve_data: list[dict[str, Any]]
) -> dict[str, Any]:
    """Write the figures; return their paths relative to the run directory.

    Poisoning entries get their own figures, named in the entry's ``plots``.
    """
    made: dict[str, Any] = {"examples": {}}
    if curve_data:
        path = plot_curves(curve_data, ctx.plots_dir / "robustness_curves.png")
        made["robustness_curves"] = str(path.relative_to(ctx.run_dir))
    per_class = _per_class_rows(ctx, entries)
    if len(per_class) > 1:
        classes = ctx.splits().classes
        path = plot_per_class(per_class, classes, ctx.plots_dir / "per_class.png")
        made["per_class"] = str(path.relative_to(ctx.run_dir))
    data = ctx.evaluation_set()
    for i, e in enumerate(entries):
        if e.status != "done":
            continue
        if isinstance(e, EvasionEntry) and e.artifact:
            x_adv = ctx.store.load_tensors(e.artifact)["x_adv"]
            p = e.params
            norm = NORMS.get(str(p.get("norm", "linf")), str(p.get("norm")))
            title = f"{e.attack} ({norm} ε = {number(p.get('eps'))})"
            path = plot_examples(
                data.x[: len(x_adv)], x_adv, ctx.plots_dir / f"attack{i}.png", title
            )
            made["examples"][str(i)] = str(path.relative_to(ctx.run_dir))
        elif isinstance(e, PoisoningEntry):
            files = write_plots(e, ctx.store, ctx.splits(), ctx.plots_dir, ctx.seed)
            e.plots = {k: str(p.relative_to(ctx.run_dir)) for k, p in files.items()}
    return made
