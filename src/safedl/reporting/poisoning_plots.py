"""Figures of poisoning and backdoor attacks: trigger, poisoned samples, per-class accuracy.

Matplotlib with the Agg backend, PNG files, in the style of :mod:`safedl.reporting.plots`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from safedl.reporting.plots import _pyplot


def _show(ax: Any, img: torch.Tensor) -> None:
    img = img.detach().cpu().clamp(0, 1)
    if img.shape[0] == 1:
        ax.imshow(img[0].numpy(), cmap="gray", vmin=0, vmax=1)
    else:
        ax.imshow(img[:3].permute(1, 2, 0).numpy())
    ax.set_xticks([])
    ax.set_yticks([])


def _save(fig: Any, path: Path, dpi: int = 100) -> Path:
    plt = _pyplot()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


def plot_trigger(
    trigger: torch.Tensor, clean: torch.Tensor, triggered: torch.Tensor, path: Path, title: str
) -> Path:
    """The trigger picture, then test images without and with the trigger (two rows)."""
    plt = _pyplot()
    count = min(len(clean), 5)
    fig, axes = plt.subplots(2, count + 1, figsize=(1.6 * (count + 1), 3.6), squeeze=False)
    _show(axes[0][0], trigger)
    axes[0][0].set_title("trigger", fontsize=8)
    axes[1][0].axis("off")
    for c in range(count):
        _show(axes[0][c + 1], clean[c])
        _show(axes[1][c + 1], triggered[c])
    axes[0][1].set_ylabel("clean", fontsize=8)
    axes[1][1].set_ylabel("triggered", fontsize=8)
    fig.suptitle(title, fontsize=10)
    return _save(fig, path)


def plot_poisoned_examples(
    clean: torch.Tensor,
    poisoned: torch.Tensor,
    labels_before: Sequence[str],
    labels_after: Sequence[str],
    path: Path,
    title: str,
    count: int = 6,
) -> Path:
    """Rows: original, poisoned, difference amplified; column titles give the label change."""
    plt = _pyplot()
    count = max(1, min(count, len(clean)))
    fig, axes = plt.subplots(3, count, figsize=(1.6 * count, 5.2), squeeze=False)
    diff = poisoned[:count] - clean[:count]
    scale = diff.flatten(1).abs().amax(1).clamp_min(1e-12).view(-1, 1, 1, 1)
    rows = [clean[:count], poisoned[:count], 0.5 + 0.5 * diff / scale]
    names = ["original", "poisoned", "difference (amplified)"]
    for r, (row, name) in enumerate(zip(rows, names, strict=True)):
        for c in range(min(count, len(row))):
            _show(axes[r][c], row[c])
            if c == 0:
                axes[r][c].set_ylabel(name, fontsize=8)
    for c in range(min(count, len(labels_before))):
        before, after = labels_before[c], labels_after[c]
        label = before if before == after else f"{before} → {after}"
        axes[0][c].set_title(label, fontsize=8)
    if not len(clean):
        for ax in axes.flat:
            ax.axis("off")
    fig.suptitle(title, fontsize=10)
    return _save(fig, path)


def plot_per_class(
    before: dict[str, float], after: dict[str, float], path: Path, title: str
) -> Path:
    """Per-class test accuracy of the baseline and the victim, side by side."""
    plt = _pyplot()
    names = list(before)
    pos = torch.arange(len(names)).numpy()
    fig, ax = plt.subplots(figsize=(max(4.0, 0.6 * len(names) + 1.5), 3.4))
    ax.bar(pos - 0.2, [before[n] for n in names], width=0.4, label="baseline")
    ax.bar(pos + 0.2, [after.get(n, 0.0) for n in names], width=0.4, label="poisoned victim")
    ax.set_xticks(pos, names, rotation=45 if len(names) > 10 else 0, fontsize=8)
    ax.set(ylabel="test accuracy", ylim=(0, 1.05), title=title)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    return _save(fig, path, dpi=110)


__all__ = ["plot_per_class", "plot_poisoned_examples", "plot_trigger"]
