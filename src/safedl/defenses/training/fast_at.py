"""Fast AT — adversarial training on single-step FGSM examples from a random start.

Paper: Wong, Rice, Kolter, "Fast is better than free: Revisiting adversarial training",
ICLR 2020.
Threat: L∞ or L2 ball of radius ``eps`` around each training image; needs control of training
(access ``training-data``).
Parameters: ``eps``, ``norm``, ``step_size`` (default 1.25·ε, the paper's), ``random_init``
(default true; without it, FGSM training is prone to catastrophic overfitting), ``epochs``,
and the guard: ``guard`` (default true), ``guard_samples`` (held-out images, default 256),
``guard_steps`` (PGD steps, default 10), ``guard_drop`` (fall of PGD accuracy that counts as a
collapse, default 0.2).
Reports: the defended model, its clean accuracy beside the baseline's (95% CIs), the training
history, the guard's per-epoch PGD checks and whether it rolled back, and measured cost.

Each step: δ ~ U(−ε, ε), one signed-gradient step of ``step_size`` on the cross-entropy, projection
onto the ball and [0, 1], then a training step on x + δ — about as cheap as two plain training
steps. The guard (:mod:`~safedl.defenses.training.overfit_guard`) checks PGD accuracy on
held-out images after every epoch; when it collapses, training stops and the weights roll back
to the best epoch (the early stopping the paper recommends). With the guard on, the final model
(rolled back or not) is stored with the guard's history under the defense's own key (covering
data, settings, seed and baseline), so a re-run reuses it.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import torch
from pydantic import Field
from torch.nn import functional as F

from safedl.defenses.base import DefenseContext
from safedl.defenses.cost import Stopwatch
from safedl.defenses.training.base import AdversarialConfig, TrainingDefense
from safedl.defenses.training.overfit_guard import CatastrophicOverfitting, OverfitGuard
from safedl.defenses.training.perturb import LogitsFn, pgd_examples
from safedl.models import ModelAdapter
from safedl.registry import DEFENSES
from safedl.training import LossFn

log = logging.getLogger(__name__)


@DEFENSES.register(
    "fast_at",
    family="training",
    access="training-data",
    norms=("linf", "l2"),
    paper="Wong et al., Fast is better than free: Revisiting adversarial training, ICLR 2020",
)
class FastAT(TrainingDefense):
    """Fast adversarial training: FGSM with random start, guarded (Wong et al., 2020)."""

    class Config(AdversarialConfig):
        """Fast-AT parameters; ``steps`` is fixed at 1."""

        steps: int = Field(1, ge=1, le=1, description="Always 1: a single FGSM step.")
        step_size: float | None = Field(None, gt=0, description="FGSM step; default 1.25 * eps.")
        random_init: bool = Field(True, description="Start the FGSM step at a random point.")
        guard: bool = Field(True, description="Check PGD accuracy every epoch; roll back.")
        guard_samples: int = Field(256, ge=1, description="Held-out images of the check.")
        guard_steps: int = Field(10, ge=1, le=1000, description="PGD steps of the check.")
        guard_drop: float = Field(
            0.2, gt=0, lt=1, description="PGD-accuracy fall below the best that stops training."
        )

        @property
        def alpha(self) -> float:
            return self.step_size if self.step_size is not None else 1.25 * self.eps

    config: Config
    _guard: OverfitGuard | None = None

    def loss(self, model: ModelAdapter) -> LossFn:
        cfg = self.config

        def fast_at_loss(logits_fn: LogitsFn, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            x_adv = pgd_examples(
                logits_fn,
                x,
                y,
                eps=cfg.eps,
                step_size=cfg.alpha,
                steps=1,
                norm=cfg.norm,
                random_start=cfg.random_init,
            )
            return F.cross_entropy(logits_fn(x_adv), y)

        return fast_at_loss if self._guard is None else self._guard.wrap(fast_at_loss)

    def guarded_key(self, ctx: DefenseContext) -> str:
        """Store key of the guarded model: everything the training loop's own key covers."""
        val = ctx.splits.val
        return self.key(
            ctx,
            spec=self.spec(ctx),
            training=self.training_config(ctx).model_dump(mode="json"),
            val=val.fingerprint() if len(val) > 0 else None,
        )

    def _make_guard(self, ctx: DefenseContext, model: ModelAdapter) -> OverfitGuard:
        cfg = self.config
        held_out = ctx.splits.val if len(ctx.splits.val) > 0 else ctx.training_set
        n = min(cfg.guard_samples, len(held_out))
        batches = math.ceil(len(ctx.training_set) / self.training_config(ctx).batch_size)
        return OverfitGuard(
            model,
            held_out.x[:n],
            held_out.y[:n],
            batches_per_epoch=batches,
            eps=cfg.eps,
            norm=cfg.norm,
            steps=cfg.guard_steps,
            drop=cfg.guard_drop,
            scratch=ctx.store.scratch(self.guarded_key(ctx), ".guard"),
            seed=ctx.seed,
        )

    def train(self, ctx: DefenseContext, model: ModelAdapter) -> tuple[str, dict[str, Any], bool]:
        if not self.config.guard:
            return super().train(ctx, model)
        key = self.guarded_key(ctx)
        if ctx.store.has(key):  # stored with its guard history by an earlier run
            meta = ctx.store.load_model(key, model.module)
            model.module.eval()
            return key, meta, True
        self._guard = guard = self._make_guard(ctx, model)
        stopped: CatastrophicOverfitting | None = None
        with Stopwatch() as clock:
            try:
                _, meta, _ = super().train(ctx, model)
                guard.check()  # the weights after the last epoch have not been checked yet
            except CatastrophicOverfitting as exc:
                stopped = exc
            finally:
                self._guard = None
        report: dict[str, Any] = {"checks": guard.checks, "triggered": stopped is not None}
        if stopped is not None:
            best = guard.restore_best()
            model.module.eval()
            report["collapsed_after_epoch"] = stopped.check["epoch"]
            report["rolled_back_to_epoch"] = None if best is None else best["epoch"]
            report["message"] = str(stopped)
            log.warning("fast_at: %s; rolled back to the best epoch", stopped)
            meta = {
                "training": {
                    "epochs_run": stopped.check["epoch"],
                    "best_epoch": report["rolled_back_to_epoch"],
                    "stopped_early": True,
                    "seconds": clock.seconds,
                }
            }
        meta = {"spec": self.spec(ctx), "seed": ctx.seed, **meta, "guard": report}
        ctx.store.save_model(key, model.module, meta)
        guard.cleanup()
        return key, meta, False

    def finish(
        self, ctx: DefenseContext, model: ModelAdapter, meta: dict[str, Any]
    ) -> tuple[ModelAdapter, dict[str, Any], ModelAdapter | None]:
        return model, {"guard": meta.get("guard")}, None


__all__ = ["FastAT"]
