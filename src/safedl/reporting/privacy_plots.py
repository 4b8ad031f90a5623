"""Figures of privacy and extraction attacks: ROC on log-log axes, extraction curves, inversions.

Matplotlib with the Agg backend, PNG files, in the style of :mod:`safedl.reporting.plots`.
Every function takes what the run record holds (the downsampled ROC points, the extraction
curve's points with their rate dicts) or plain tensors, writes one PNG and returns its path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

from safedl.reporting.plots import _pyplot


def _save(fig: Any, path: Path, dpi: int = 100) -> Path:
    plt = _pyplot()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


def plot_roc(
    curves: Mapping[str, Sequence[Sequence[float]]],
    path: Path,
    title: str = "membership inference ROC",
    min_fpr: float = 1e-4,
) -> Path:
    """ROC curves on log-log axes (low-FPR behaviour visible), one line per attack.

    Args:
        curves: Attack label → ``[[fpr, tpr], ...]`` (a result's ``roc``).
        path: PNG to write.
        title: Figure title.
        min_fpr: Lower end of both axes; points at 0 are drawn there.
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(4.6, 4.2))
    grid = [min_fpr, 1.0]
    ax.plot(grid, grid, linestyle="--", color="gray", linewidth=0.8, label="chance")
    for label, points in curves.items():
        fpr = [max(p[0], min_fpr) for p in points]
        tpr = [max(p[1], min_fpr) for p in points]
        ax.step(fpr, tpr, where="post", label=label, linewidth=1.2)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(min_fpr, 1)
    ax.set_ylim(min_fpr, 1)
    ax.set_xlabel("false-positive rate")
    ax.set_ylabel("true-positive rate")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, loc="lower right")
    return _save(fig, path)


def plot_extraction_curves(
    curves: Mapping[str, Sequence[Mapping[str, Any]]],
    path: Path,
    title: str = "model extraction",
    victim_accuracy: float | None = None,
) -> Path:
    """Fidelity and stolen accuracy against queries, with 95% intervals, one line per attack.

    Args:
        curves: Attack label → a result's ``curve`` (points with ``queries``, ``fidelity`` and
            ``accuracy`` rate dicts).
        path: PNG to write.
        title: Figure title.
        victim_accuracy: Drawn as a reference line on the accuracy panel.
    """
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(8.4, 3.6))
    for ax, key, name in ((axes[0], "fidelity", "fidelity"), (axes[1], "accuracy", "accuracy")):
        for label, points in curves.items():
            q = [p["queries"] for p in points]
            v = [p[key]["value"] for p in points]
            lo = [p[key]["value"] - p[key]["low"] for p in points]
            hi = [p[key]["high"] - p[key]["value"] for p in points]
            ax.errorbar(q, v, yerr=[lo, hi], marker="o", markersize=3, capsize=2, label=label)
        ax.set_xscale("log")
        ax.set_xlabel("queries")
        ax.set_ylabel(name)
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
    if victim_accuracy is not None:
        axes[1].axhline(victim_accuracy, color="gray", linestyle="--", linewidth=0.8)
    axes[0].legend(fontsize=7, loc="lower right")
    fig.suptitle(title, fontsize=10)
    return _save(fig, path)


def _show(ax: Any, img: torch.Tensor) -> None:
    img = img.detach().cpu().clamp(0, 1)
    if img.shape[0] == 1:
        ax.imshow(img[0].numpy(), cmap="gray", vmin=0, vmax=1)
    else:
        ax.imshow(img[:3].permute(1, 2, 0).numpy())
    ax.set_xticks([])
    ax.set_yticks([])


def plot_inversions(
    images: torch.Tensor,
    labels: Sequence[str],
    path: Path,
    title: str = "model inversion",
    starts: torch.Tensor | None = None,
    means: torch.Tensor | None = None,
) -> Path:
    """Reconstructions, one column per image: start image, reconstruction, class mean.

    Args:
        images: ``[M, C, H, W]`` reconstructions in [0, 1].
        labels: Class name of each reconstruction.
        path: PNG to write.
        title: Figure title.
        starts: ``[M, C, H, W]`` start images, drawn in a first row when given.
        means: ``[M, C, H, W]`` the class mean of each image's class, drawn in a last row.
    """
    plt = _pyplot()
    shown: list[tuple[str, torch.Tensor]] = []
    for name, t in (("start", starts), ("reconstruction", images), ("class mean", means)):
        if t is not None:
            shown.append((name, t))
    m = len(images)
    fig, axes = plt.subplots(
        len(shown), m, figsize=(1.3 * m + 0.6, 1.4 * len(shown) + 0.4), squeeze=False
    )
    for r, (name, t) in enumerate(shown):
        for c in range(m):
            _show(axes[r][c], t[c])
            if r == 0:
                axes[r][c].set_title(labels[c], fontsize=7)
        axes[r][0].set_ylabel(name, fontsize=7)
    fig.suptitle(title, fontsize=10)
    return _save(fig, path)


__all__ = ["plot_extraction_curves", "plot_inversions", "plot_roc"]
