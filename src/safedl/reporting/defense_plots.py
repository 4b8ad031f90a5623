"""The defenses' figure: clean against adaptive worst-case robust accuracy, per budget.

Each point is a model (the baseline and every defense) at one budget; its size grows with the
defense's measured training time relative to the baseline's. The upper right is better; a
defense whose non-adaptive figure was higher is drawn with a hollow marker at that figure too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from safedl.reporting.plots import _pyplot


def plot_pareto(models: list[dict[str, Any]], costs: dict[str, float], path: Path) -> Path:
    """Clean vs worst-case robust accuracy of the baseline and each re-evaluated defense."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 4.2))
    drawn_baseline: set[tuple[str, float]] = set()
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
            size = 40 * max(1.0, costs.get(m["model"], 1.0))
            x, y = clean["defended"]["value"], b["robust_accuracy"]["value"]
            ax.scatter(x, y, s=size, alpha=0.7)
            ax.annotate(f"{m['model']} ({tag})", (x, y), fontsize=7)
            plain = b["non_adaptive_robust_accuracy"]["value"]
            if plain > y:
                ax.scatter(x, plain, s=size, facecolors="none", edgecolors="red")
                ax.plot([x, x], [y, plain], color="red", lw=0.8, ls=":")
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


__all__ = ["plot_pareto"]
