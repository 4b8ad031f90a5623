"""Shared base of training defenses: train a fresh model on the baseline's recipe, one new loss.

A training defense (PGD-AT, TRADES, fast AT, Gaussian-noise training) differs from the
baseline only in its training loss. :class:`TrainingDefense` builds a fresh, identically
seeded model of the baseline's architecture (``ctx.new_model()``), trains it with the baseline's
settings (``ctx.training``, with ``epochs`` overridable) through the one training loop
(:func:`safedl.training.train_or_load`: batched, any device, checkpointed every epoch, so a
killed run resumes, and cached by content key, so a re-run reuses the stored safetensors), with
the defense's loss plugged into the loop's ``loss_fn`` hook, then measures its cost. A plugin
implements :meth:`TrainingDefense.loss` (and may refine :meth:`TrainingDefense.finish`).
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from safedl.config.profile import TrainingConfig
from safedl.defenses.base import AdaptiveNeeds, DefendedModel, Defense, DefenseContext
from safedl.defenses.cost import Stopwatch, accuracy_cost, defense_cost
from safedl.models import ModelAdapter, model_fingerprint
from safedl.registry import PluginConfig
from safedl.store import content_key
from safedl.training import LossFn, train_or_load


class TrainingDefenseConfig(PluginConfig):
    """Parameters every training defense shares."""

    epochs: int | None = Field(
        None, ge=1, le=1000, description="Training epochs; default: the baseline's."
    )


class AdversarialConfig(TrainingDefenseConfig):
    """Threat model of an adversarial-training defense: the ball it trains against."""

    eps: float = Field(0.1, gt=0, description="Training perturbation budget (images in [0, 1]).")
    norm: Literal["linf", "l2"] = Field("linf", description="Norm of the training ball.")
    steps: int = Field(8, ge=1, le=1000, description="Ascent steps of the inner maximisation.")
    step_size: float | None = Field(
        None, gt=0, description="Step of the inner maximisation; default 2.5 * eps / steps."
    )

    @model_validator(mode="after")
    def _step_within_reach(self) -> AdversarialConfig:
        if self.step_size is not None and self.step_size * self.steps < self.eps:
            raise ValueError(
                f"steps * step_size = {self.steps * self.step_size:g} cannot reach the boundary "
                f"of the ε = {self.eps:g} ball; raise step_size or steps"
            )
        return self

    @property
    def alpha(self) -> float:
        """The step size actually used."""
        return self.step_size if self.step_size is not None else 2.5 * self.eps / self.steps


class TrainingDefense(Defense):
    """Base of training defenses: :meth:`apply` is shared, a plugin writes :meth:`loss`."""

    kind: ClassVar[Literal["training"]] = "training"
    adaptive: ClassVar[AdaptiveNeeds] = AdaptiveNeeds()

    @abstractmethod
    def loss(self, model: ModelAdapter) -> LossFn:
        """The training loss ``(logits_fn, x, y) -> scalar`` for the model being trained."""

    def training_config(self, ctx: DefenseContext) -> TrainingConfig:
        """The baseline's settings with this defense's overrides."""
        epochs = getattr(self.config, "epochs", None)
        return (
            ctx.training if epochs is None else ctx.training.model_copy(update={"epochs": epochs})
        )

    def spec(self, ctx: DefenseContext) -> dict[str, Any]:
        """What identifies the trained model besides data, settings and seed (its cache key)."""
        return {"model": ctx.model_spec, "defense": self.plugin_name, "params": self.params}

    def train(self, ctx: DefenseContext, model: ModelAdapter) -> tuple[str, dict[str, Any], bool]:
        """Train ``model`` in place through the one training loop (or load it from the store)."""
        return train_or_load(
            ctx.store,
            model,
            ctx.training_set,
            ctx.splits.val,
            self.training_config(ctx),
            seed=ctx.seed,
            spec=self.spec(ctx),
            loss_fn=self.loss(model),
            description=f"defense {self.plugin_name}",
        )

    def finish(
        self, ctx: DefenseContext, model: ModelAdapter, meta: dict[str, Any]
    ) -> tuple[ModelAdapter, dict[str, Any], ModelAdapter | None]:
        """The deployed model, defense-specific metrics and the BPDA model, if any.

        The default deploys the trained model as it is.
        """
        return model, {}, None

    def apply(self, ctx: DefenseContext) -> DefendedModel:
        model = ctx.new_model()
        with Stopwatch() as clock:
            key, meta, reused = self.train(ctx, model)
        deployed, metrics, bpda = self.finish(ctx, model, meta)
        training = meta.get("training", {})
        cost = defense_cost(
            ctx,
            deployed,
            train_seconds=0.0 if reused else clock.seconds,
            reused=reused,
            train_seconds_original=training.get("seconds") if reused else None,
        )
        metrics = {
            **accuracy_cost(ctx, deployed),
            "training": {
                k: training.get(k) for k in ("epochs_run", "best_epoch", "stopped_early", "history")
            },
            **metrics,
        }
        model_id = model_fingerprint(model)
        if deployed is not model:  # a wrapper whose settings are not all in its weights
            model_id = content_key(
                "model", {"network": model_id, "defense": self.plugin_name, "params": self.params}
            )
        return DefendedModel(
            defense=self.plugin_name,
            kind=self.kind,
            params=self.params,
            model=deployed,
            model_id=model_id,
            adaptive=type(self).adaptive,
            cost=cost,
            artifact=key,
            metrics=metrics,
            bpda_model=bpda,
        )


__all__ = ["AdversarialConfig", "TrainingDefense", "TrainingDefenseConfig"]
