"""A guard against catastrophic overfitting: a PGD check on a held-out batch after every epoch.

Single-step adversarial training can suddenly lose all robustness to multi-step attacks within
an epoch while its robustness to the single step it trains on stays high (Wong, Rice, Kolter,
ICLR 2020, "catastrophic overfitting"). The guard wraps a training loss and, at the first batch
of every epoch (the training loop offers no end-of-epoch hook; the first batch of epoch e+1
sees the weights after epoch e), measures PGD accuracy on a fixed held-out batch. It keeps a
snapshot of the weights with the best PGD accuracy so far, and raises
:class:`CatastrophicOverfitting` when PGD accuracy falls more than ``drop`` below that best, so
the caller stops training and rolls back to the snapshot.

The check history and the snapshot are written to scratch files (JSON and safetensors) after
every check, so a training resumed from an epoch checkpoint keeps its guard; a check of weights
already checked (the first batch after a resume) is recognised by the weights' hash and not
counted twice.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from safedl.atomic import atomic_write_json
from safedl.defenses.training.perturb import LogitsFn, pgd_examples
from safedl.models import ModelAdapter, weights_fingerprint
from safedl.training import LossFn

log = logging.getLogger(__name__)


class CatastrophicOverfitting(Exception):
    """PGD accuracy on the guard's batch collapsed; ``check`` is the failing measurement."""

    def __init__(self, check: dict[str, Any], best: dict[str, Any]) -> None:
        super().__init__(
            f"PGD accuracy fell to {check['pgd_accuracy']:.1%} after epoch {check['epoch']} "
            f"(best {best['pgd_accuracy']:.1%} after epoch {best['epoch']})"
        )
        self.check = check
        self.best = best


class OverfitGuard:
    """PGD check of ``model`` on ``(x, y)`` at each epoch boundary (see the module docstring).

    Args:
        model: The model being trained (its module is evaluated in eval mode, then restored).
        x: Held-out images of the check (kept on the model's device).
        y: Their labels.
        batches_per_epoch: Loss calls per epoch (``ceil(len(train) / batch_size)``).
        eps: Radius of the check's L∞/L2 ball.
        norm: ``"linf"`` or ``"l2"``.
        steps: PGD steps of the check.
        drop: Fall of PGD accuracy below the best so far that counts as a collapse.
        scratch: Path stem for the guard's files (history ``.json``, snapshot
            ``.safetensors``), or ``None`` to keep them in memory only.
        seed: Seed of the check's random starts (the same every check).
    """

    def __init__(
        self,
        model: ModelAdapter,
        x: torch.Tensor,
        y: torch.Tensor,
        *,
        batches_per_epoch: int,
        eps: float,
        norm: str = "linf",
        steps: int = 10,
        drop: float = 0.2,
        scratch: Path | None = None,
        seed: int = 0,
    ) -> None:
        self.model = model
        self.x, self.y = x.to(model.device), y.to(model.device)
        self.batches_per_epoch = max(1, batches_per_epoch)
        self.eps, self.norm, self.steps, self.drop, self.seed = eps, norm, steps, drop, seed
        self.scratch = scratch
        self.checks: list[dict[str, Any]] = []
        self._best_state: dict[str, torch.Tensor] | None = None
        self._calls = 0
        if scratch is not None and self._history_path.exists():
            self.checks = json.loads(self._history_path.read_text(encoding="utf-8"))
            if self._snapshot_path.exists():
                self._best_state = load_file(str(self._snapshot_path), device=str(model.device))

    @property
    def _history_path(self) -> Path:
        assert self.scratch is not None
        return self.scratch.with_name(self.scratch.name + ".json")

    @property
    def _snapshot_path(self) -> Path:
        assert self.scratch is not None
        return self.scratch.with_name(self.scratch.name + ".safetensors")

    @property
    def best(self) -> dict[str, Any] | None:
        """The check with the highest PGD accuracy so far (the earliest on ties)."""
        return max(self.checks, key=lambda c: c["pgd_accuracy"], default=None)

    def measure(self) -> tuple[float, float]:
        """Clean and PGD accuracy of the current weights on the guard's batch."""
        module = self.model.module
        modes = {m: m.training for m in module.modules()}
        module.eval()
        devices = [self.model.device] if self.model.device.type == "cuda" else []
        try:
            with torch.random.fork_rng(devices=devices):
                torch.manual_seed(self.seed)
                x_adv = pgd_examples(
                    self.model.logits,
                    self.x,
                    self.y,
                    eps=self.eps,
                    step_size=2.5 * self.eps / self.steps,
                    steps=self.steps,
                    norm=self.norm,
                )
            with torch.no_grad():
                clean = (self.model.logits(self.x).argmax(1) == self.y).float().mean()
                robust = (self.model.logits(x_adv).argmax(1) == self.y).float().mean()
        finally:
            for m, flag in modes.items():
                m.train(flag)
        return float(clean.item()), float(robust.item())

    def check(self) -> dict[str, Any]:
        """Measure the current weights, record the check, keep the best snapshot; may raise."""
        digest = weights_fingerprint(self.model)
        if self.checks and self.checks[-1]["weights"] == digest:
            return self.checks[-1]  # resumed from the weights checked last: already counted
        clean, robust = self.measure()
        entry = {
            "epoch": len(self.checks),
            "clean_accuracy": clean,
            "pgd_accuracy": robust,
            "weights": digest,
        }
        best = self.best
        self.checks.append(entry)
        if best is None or robust > best["pgd_accuracy"]:
            self._best_state = {
                k: v.detach().clone() for k, v in self.model.module.state_dict().items()
            }
            if self.scratch is not None:
                save_file(
                    {k: v.cpu().contiguous() for k, v in self._best_state.items()},
                    str(self._snapshot_path),
                )
        if self.scratch is not None:
            atomic_write_json(self._history_path, self.checks)
        log.info("overfit guard, epoch %d: PGD accuracy %.1f%%", entry["epoch"], 100 * robust)
        if best is not None and robust < best["pgd_accuracy"] - self.drop:
            raise CatastrophicOverfitting(entry, best)
        return entry

    def wrap(self, loss: LossFn) -> LossFn:
        """``loss`` with a :meth:`check` before the first batch of every epoch."""

        def guarded(logits_fn: LogitsFn, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            if self._calls % self.batches_per_epoch == 0:
                self.check()
            self._calls += 1
            return loss(logits_fn, x, y)

        return guarded

    def restore_best(self) -> dict[str, Any] | None:
        """Load the best snapshot into the model; returns its check (``None`` if none yet)."""
        if self._best_state is None:
            return None
        self.model.module.load_state_dict(self._best_state)
        return self.best

    def cleanup(self) -> None:
        """Delete the scratch files (once the defended model is stored)."""
        if self.scratch is not None:
            self._history_path.unlink(missing_ok=True)
            self._snapshot_path.unlink(missing_ok=True)


__all__ = ["CatastrophicOverfitting", "OverfitGuard"]
