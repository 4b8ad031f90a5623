"""Figures of defenses against poisoning and backdoors, drawn against the known poison.

* :func:`plot_score_histogram` — a data filter's per-sample outlier scores (spectral
  signatures, activation clustering) for one class, clean and truly poisoned samples stacked
  separately, with the removal cut marked;
* :func:`plot_reversed_triggers` — Neural Cleanse's reverse-engineered trigger of every class
  (``mask · pattern``) beside the real trigger, each titled with its anomaly index;
* :func:`plot_strip_entropy` — STRIP entropy distributions of clean and triggered inputs with
  the calibrated threshold;
* :func:`plot_defense_grid` — a BackdoorBench-style grid, attacks × defenses, each cell the
  attack success left after the defense (colour) and ``clean / ASR`` in percent.

Matplotlib with the Agg backend, PNG files, in the style of
:mod:`safedl.reporting.poisoning_plots`. Pure functions of tensors: they never re-run work.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
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


def plot_defense_grid(rows: Sequence[dict[str, Any]], path: Path) -> Path:
    """Attacks × defenses: attack success after each defense, clean accuracy beside it.

    ``rows`` are :func:`safedl.assess.backdoor_defense.measure_grid` rows (rates as dicts);
    a row without an attack success (no attack) is shown as its clean accuracy only.
    """
    plt = _pyplot()
    attacks = list(dict.fromkeys(_attack_label(r) for r in rows))
    defenses = list(dict.fromkeys(str(r["defense"]) for r in rows))
    grid = np.full((len(attacks), len(defenses)), np.nan)
    fig, ax = plt.subplots(figsize=(1.6 * len(defenses) + 2.2, 0.7 * len(attacks) + 1.6))
    for r in rows:
        i, j = attacks.index(_attack_label(r)), defenses.index(str(r["defense"]))
        asr, clean = r["attack_success_rate"], r["clean_accuracy"]["value"]
        text = f"{100 * clean:.1f}"
        if asr is not None:
            grid[i, j] = asr["value"]
            text += f" / {100 * asr['value']:.1f}"
        ax.text(j, i, text, ha="center", va="center", fontsize=7)
    ax.imshow(grid, cmap="Reds", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(defenses)), defenses, rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(len(attacks)), attacks, fontsize=8)
    ax.set_title("clean accuracy / attack success after the defense (%)", fontsize=9)
    return _save(fig, path)


def _attack_label(row: dict[str, Any]) -> str:
    if row["attack"] is None:
        return "none (clean)"
    frac = (row.get("attack_params") or {}).get("poison_fraction")
    return f"{row['attack']} {100 * frac:g}%" if frac is not None else str(row["attack"])


__all__ = [
    "plot_defense_grid",
    "plot_reversed_triggers",
    "plot_score_histogram",
    "plot_strip_entropy",
]
