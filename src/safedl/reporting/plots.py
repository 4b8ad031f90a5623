"""Figures for the report (matplotlib, Agg backend, PNG files in the run's plots/ folder)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_curves(curves: Sequence[dict[str, Any]], path: Path) -> Path:
    """Accuracy against ε, one line (with its 95% band) per attack and norm."""
    plt = _pyplot()
    norms = sorted({c["norm"] for c in curves})
    fig, axes = plt.subplots(1, len(norms), figsize=(5 * len(norms), 3.6), squeeze=False)
    for ax, norm in zip(axes[0], norms, strict=True):
        for c in (c for c in curves if c["norm"] == norm):
            eps = [p["eps"] for p in c["points"]]
            ax.plot(eps, [p["accuracy"] for p in c["points"]], marker="o", label=c["attack"])
            ax.fill_between(
                eps, [p["low"] for p in c["points"]], [p["high"] for p in c["points"]], alpha=0.2
            )
        ax.set(
            xlabel=f"ε ({norm})",
            ylabel="accuracy",
            ylim=(0, 1.02),
            title=f"Robustness curve, {norm}",
        )
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_examples(
    x: torch.Tensor, x_adv: torch.Tensor, path: Path, title: str, count: int = 6
) -> Path:
    """Rows: clean, adversarial, and the difference amplified to the full range."""
    plt = _pyplot()
    count = min(count, len(x))
    fig, axes = plt.subplots(3, count, figsize=(1.6 * count, 5.2), squeeze=False)
    diff = x_adv[:count] - x[:count]
    scale = diff.flatten(1).abs().amax(1).clamp_min(1e-12).view(-1, 1, 1, 1)
    rows = [x[:count], x_adv[:count], 0.5 + 0.5 * diff / scale]
    labels = ["clean", "adversarial", "difference (amplified)"]
    for r, (row, label) in enumerate(zip(rows, labels, strict=True)):
        for c in range(count):
            img = row[c].detach().cpu().clamp(0, 1)
            ax = axes[r][c]
            if img.shape[0] == 1:
                ax.imshow(img[0].numpy(), cmap="gray", vmin=0, vmax=1)
            else:
                ax.imshow(img[:3].permute(1, 2, 0).numpy())
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                ax.set_ylabel(label, fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_per_class(rows: dict[str, dict[str, float]], classes: Sequence[str], path: Path) -> Path:
    """Heatmap of accuracy per class (columns) for the clean model and each attack (rows)."""
    plt = _pyplot()
    names = list(rows)
    grid = [[rows[n].get(c, float("nan")) for c in classes] for n in names]
    fig, ax = plt.subplots(figsize=(max(4.0, 0.55 * len(classes) + 2.5), 0.45 * len(names) + 1.4))
    im = ax.imshow(grid, vmin=0, vmax=1, cmap="RdYlGn", aspect="auto")
    ax.set_xticks(
        range(len(classes)), [str(c) for c in classes], rotation=45, ha="right", fontsize=8
    )
    ax.set_yticks(range(len(names)), names, fontsize=8)
    for i, row in enumerate(grid):
        for j, v in enumerate(row):
            if v == v:  # not NaN
                ax.text(j, i, f"{100 * v:.0f}", ha="center", va="center", fontsize=7)
    ax.set_title("Accuracy per class (%)", fontsize=10)
    fig.colorbar(im, ax=ax, fraction=0.03)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
