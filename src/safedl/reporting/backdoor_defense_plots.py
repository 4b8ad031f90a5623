"""Figures of defenses against poisoning and backdoors, drawn against the known poison.

* :func:`plot_score_histogram` — a data filter's per-sample outlier scores (spectral
  signatures, activation clustering) for one class, clean and truly poisoned samples stacked
  separately, with the removal cut marked;
* :func:`plot_reversed_triggers` — Neural Cleanse's reverse-engineered trigger of every class
  (``mask · pattern``) beside the real trigger, each titled with its anomaly index;
* :func:`plot_strip_entropy` — STRIP entropy distributions of clean and triggered inputs with
  the calibrated threshold.

Matplotlib with the Agg backend, PNG files, in the style of
:mod:`safedl.reporting.poisoning_plots`. Pure functions of tensors: they never re-run work.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch

from safedl.reporting.plots import _pyplot
from safedl.reporting.poisoning_plots import _save, _show


def plot_score_histogram(
    scores: torch.Tensor,
    poisoned: torch.Tensor,
    path: Path,
    *,
    title: str,
    cut: float | None = None,
    bins: int = 40,
) -> Path:
    """Histogram of ``scores`` with the truly poisoned samples (``poisoned``: bool) apart."""
    plt = _pyplot()
    s = scores.detach().double().cpu()
    mask = poisoned.bool().cpu()
    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    edges = torch.linspace(float(s.min()), float(s.max()) + 1e-12, bins + 1).numpy()
    ax.hist(s[~mask].numpy(), bins=edges, alpha=0.7, label=f"clean ({int((~mask).sum())})")
    if bool(mask.any()):
        ax.hist(s[mask].numpy(), bins=edges, alpha=0.7, label=f"poisoned ({int(mask.sum())})")
    if cut is not None:
        ax.axvline(cut, color="black", linestyle="--", linewidth=1, label="removal cut")
    ax.set_xlabel("outlier score")
    ax.set_ylabel("samples")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    return _save(fig, path)


def plot_reversed_triggers(
    masks: torch.Tensor,
    patterns: torch.Tensor,
    anomaly: Sequence[float],
    path: Path,
    *,
    real: torch.Tensor | None = None,
    flagged: Sequence[int] = (),
    classes: Sequence[str] | None = None,
) -> Path:
    """Each class's reversed trigger ``mask · pattern`` (``[K, 1|C, H, W]``) and the real one."""
    plt = _pyplot()
    k = len(masks)
    cols = k + (1 if real is not None else 0)
    fig, axes = plt.subplots(1, cols, figsize=(1.4 * cols, 1.9), squeeze=False)
    col = 0
    if real is not None:
        _show(axes[0][0], real)
        axes[0][0].set_title("real", fontsize=8)
        col = 1
    for c in range(k):
        ax = axes[0][col + c]
        _show(ax, (masks[c] * patterns[c]).clamp(0, 1))
        name = classes[c] if classes is not None else str(c)
        mark = " *" if c in flagged else ""
        ax.set_title(f"{name}: {anomaly[c]:.1f}{mark}", fontsize=7)
    fig.suptitle("reversed triggers (anomaly index; * flagged)", fontsize=9)
    return _save(fig, path)


def plot_strip_entropy(
    clean: torch.Tensor,
    triggered: torch.Tensor | None,
    threshold: float,
    path: Path,
    *,
    title: str = "STRIP entropy",
    bins: int = 40,
) -> Path:
    """Densities of STRIP entropies of clean and triggered inputs, threshold marked."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    both = clean if triggered is None else torch.cat([clean, triggered])
    edges = torch.linspace(0.0, float(both.max()) + 1e-9, bins + 1).numpy()
    ax.hist(clean.numpy(), bins=edges, alpha=0.7, density=True, label="clean")
    if triggered is not None and len(triggered):
        ax.hist(triggered.numpy(), bins=edges, alpha=0.7, density=True, label="triggered")
    ax.axvline(threshold, color="black", linestyle="--", linewidth=1, label="threshold")
    ax.set_xlabel("entropy (bits, mean over replicas)")
    ax.set_ylabel("density")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    return _save(fig, path)


__all__ = ["plot_reversed_triggers", "plot_score_histogram", "plot_strip_entropy"]
