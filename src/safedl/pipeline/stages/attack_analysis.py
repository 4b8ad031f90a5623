"""What the attack stage derives from the finished attacks: worst case, curves, checks, plots."""

from __future__ import annotations

from typing import Any

import torch

from safedl.evaluation.curves import curve_specs, robustness_curve
from safedl.evaluation.metrics import rate_of
from safedl.evaluation.validity import mark_unreliable, run_checks
from safedl.pipeline.context import RunContext
from safedl.reporting.plots import plot_curves, plot_examples, plot_per_class


def _subset(ctx: RunContext, n: int) -> Any:
    data = ctx.evaluation_set()
    return data.subset(torch.arange(min(n, len(data))))


def worst_case(ctx: RunContext, results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per budget (norm, ε): a point is robust only if every attack at that budget missed it."""
    groups: dict[tuple[str, float], list[int]] = {}
    for i, r in enumerate(results):
        if r.get("status") == "done" and r.get("artifact") and not r["params"].get("targeted"):
            key = (r["params"].get("norm", "linf"), float(r["params"].get("eps", 0)))
            groups.setdefault(key, []).append(i)
    out = []
    for (norm, eps), members in sorted(groups.items()):
        masks = [ctx.store.load_tensors(results[i]["artifact"])["robust"].bool() for i in members]
        robust = torch.stack(masks).all(0)
        out.append(
            {
                "norm": norm,
                "eps": eps,
                "attacks": [results[i]["attack"] for i in members],
                "robust_accuracy": rate_of(robust).to_dict(),
            }
        )
    return out


def curves(ctx: RunContext) -> list[dict[str, Any]]:
    plan = [s.model_dump() for s in ctx.profile.attacks]
    data = _subset(ctx, ctx.profile.evaluation.curve_samples)
    bs = ctx.profile.evaluation.batch_size
    return [
        robustness_curve(ctx.baseline(), data, s["name"], s["params"], seed=ctx.seed, batch_size=bs)
        for s in curve_specs(plan)
    ]


def validity(ctx: RunContext, results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    data = _subset(ctx, ctx.profile.evaluation.check_samples)
    findings = run_checks(
        ctx.baseline(), data, results, seed=ctx.seed, batch_size=ctx.profile.evaluation.batch_size
    )
    mark_unreliable(results, findings)
    return [f.to_dict() for f in findings]


def _per_class_rows(ctx: RunContext, results: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Clean accuracy per class name, then each evasion attack's robust accuracy per class."""
    classes = ctx.splits().classes
    rows = {"clean": dict(ctx.record.result("baseline").get("per_class_accuracy", {}))}
    for i, r in enumerate(results):
        if r.get("status") == "done" and r.get("per_class_robust_accuracy"):
            p = r["params"]
            label = f"#{i} {r['attack']} ε={p.get('eps')} {p.get('norm', '')}".strip()
            rows[label] = {classes[int(c)]: v for c, v in r["per_class_robust_accuracy"].items()}
    return rows


def plots(
    ctx: RunContext, results: list[dict[str, Any]], curve_data: list[dict[str, Any]]
) -> dict[str, Any]:
    """Write the figures; return their paths relative to the run directory."""
    made: dict[str, Any] = {"examples": {}}
    if curve_data:
        path = plot_curves(curve_data, ctx.plots_dir / "robustness_curves.png")
        made["robustness_curves"] = str(path.relative_to(ctx.run_dir))
    per_class = _per_class_rows(ctx, results)
    if len(per_class) > 1:
        classes = ctx.splits().classes
        path = plot_per_class(per_class, classes, ctx.plots_dir / "per_class.png")
        made["per_class"] = str(path.relative_to(ctx.run_dir))
    data = ctx.evaluation_set()
    for i, r in enumerate(results):
        if r.get("status") != "done" or not r.get("artifact"):
            continue
        x_adv = ctx.store.load_tensors(r["artifact"])["x_adv"]
        p = r["params"]
        title = f"{r['attack']} (ε = {p.get('eps')}, {p.get('norm', 'linf')})"
        path = plot_examples(data.x[: len(x_adv)], x_adv, ctx.plots_dir / f"attack{i}.png", title)
        made["examples"][str(i)] = str(path.relative_to(ctx.run_dir))
    return made
