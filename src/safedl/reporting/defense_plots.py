"""The defenses' figures: the accuracy–robustness–cost trade-off and certified accuracy.

:func:`plot_pareto`: each point is a model (the baseline and every defense) at one budget; its
size grows with the defense's measured training time relative to the baseline's. The upper
right is better; a defense whose non-adaptive figure was higher is drawn with a hollow marker at
that figure too; the Pareto front of each budget (models no other model beats on both clean and
robust accuracy, :func:`pareto_front`) is a dashed line.

:func:`plot_certified`: certified accuracy of smoothed models against the L2 radius, a step
curve with its 95% band per model and, dotted, the radius cap σ·Φ⁻¹(α^(1/n)) beyond which ``n``
samples cannot certify anything.

matplotlib with the Agg backend; each function writes one PNG and returns its path. Inputs are
plain values as the run record holds them (rates as ``Rate.to_dict()``), so a report draws the
figures without re-running anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from safedl.reporting.plots import _pyplot


def pareto_front(points: Sequence[tuple[float, float]]) -> list[int]:
    """Indices of the ``(clean, robust)`` points that no other point beats on both axes (a tie
    on one axis and a win on the other counts as beating), in increasing clean accuracy."""
    front = [
        i
        for i, (x, y) in enumerate(points)
        if not any(
            (u >= x and v >= y) and (u > x or v > y) for j, (u, v) in enumerate(points) if j != i
        )
    ]
    return sorted(front, key=lambda i: points[i][0])


def plot_pareto(models: list[dict[str, Any]], costs: dict[str, float], path: Path) -> Path:
    """Clean vs worst-case robust accuracy of the baseline and each re-evaluated defense."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 4.2))
    drawn_baseline: set[tuple[str, float]] = set()
    by_budget: dict[tuple[str, float], list[tuple[float, float]]] = {}
    for m in models:
        clean = m["clean"]
        for b in m["budgets"]:
            key = (b["norm"], b["eps"])
            tag = f"{b['norm']} ε={b['eps']:g}"
            if key not in drawn_baseline:
                ax.scatter(
                    clean["baseline"]["value"],
                    b["baseline_robust_accuracy"]["value"],
                    s=40,
                    c="grey",
                    marker="s",
                )
                ax.annotate(
                    f"baseline ({tag})",
                    (clean["baseline"]["value"], b["baseline_robust_accuracy"]["value"]),
                    fontsize=7,
                )
                drawn_baseline.add(key)
                by_budget.setdefault(key, []).append(
                    (clean["baseline"]["value"], b["baseline_robust_accuracy"]["value"])
                )
            size = 40 * max(1.0, costs.get(m["model"], 1.0))
            x, y = clean["defended"]["value"], b["robust_accuracy"]["value"]
            by_budget.setdefault(key, []).append((x, y))
            ax.scatter(x, y, s=size, alpha=0.7)
            ax.annotate(f"{m['model']} ({tag})", (x, y), fontsize=7)
            plain = b["non_adaptive_robust_accuracy"]["value"]
            if plain > y:
                ax.scatter(x, plain, s=size, facecolors="none", edgecolors="red")
                ax.plot([x, x], [y, plain], color="red", lw=0.8, ls=":")
    for pts in by_budget.values():
        front = [pts[i] for i in pareto_front(pts)]
        if len(front) > 1:
            ax.plot(*zip(*front, strict=True), color="black", lw=0.8, ls="--", zorder=0)
    ax.set(
        xlabel="clean accuracy",
        ylabel="worst-case robust accuracy (adaptive)",
        xlim=(0, 1.02),
        ylim=(0, 1.02),
        title="Defenses: clean vs robust (size = training cost)",
    )
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_certified(
    curves: Mapping[str, Sequence[tuple[float, Mapping[str, Any]]]],
    path: Path,
    *,
    caps: Mapping[str, float] | None = None,
) -> Path:
    """Certified accuracy against the L2 radius, with 95% bands and the radius caps.

    Args:
        curves: Per model, ``(radius, rate dict)`` pairs in increasing radius (the
            ``metrics["certified"]["curve"]`` of ``randomized_smoothing`` gives them as
            ``{"radius": r, "value": ..., "low": ..., "high": ...}``; see
            :func:`certified_curve`).
        path: Where to write the PNG.
        caps: Per model, the largest certifiable radius (a dotted line).
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for name, points in curves.items():
        radii = [float(r) for r, _ in points]
        (line,) = ax.step(radii, [a["value"] for _, a in points], where="post", label=name)
        ax.fill_between(
            radii,
            [a["low"] for _, a in points],
            [a["high"] for _, a in points],
            step="post",
            alpha=0.2,
            color=line.get_color(),
        )
        if caps and name in caps:
            ax.axvline(caps[name], ls=":", lw=1, color=line.get_color())
    ax.set(
        xlabel="L2 radius",
        ylabel="certified accuracy",
        ylim=(0, 1.02),
        title="Certified accuracy (randomized smoothing)",
    )
    ax.grid(alpha=0.3)
    if curves:
        ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def certified_curve(certified: Mapping[str, Any]) -> list[tuple[float, Mapping[str, Any]]]:
    """``(radius, rate)`` pairs from a ``randomized_smoothing`` defense's ``certified`` metrics."""
    return [(float(p["radius"]), p) for p in certified["curve"]]


__all__ = ["certified_curve", "pareto_front", "plot_certified", "plot_pareto"]
