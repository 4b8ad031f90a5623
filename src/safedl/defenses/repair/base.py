"""Shared base of repair defenses: start from the trained model, change it, fine-tune on clean data.

A repair defense (fine-tuning, fine-pruning, Neural Cleanse's unlearning) gets a trained —
possibly backdoored — model (``ctx.baseline``) and a small clean set (the validation split,
``ctx.splits.val``; the defender's held-out data, never the training set). It copies the model
(the baseline is never modified), optionally changes it (prunes channels, stamps a reversed
trigger on part of the clean set), then fine-tunes it with the baseline's optimiser settings
through the one training loop and its cache (:func:`safedl.training.train_or_load`, keyed by
the starting weights, the data, the settings and the defense's parameters), so a re-run reuses
the repaired weights. Its cost is measured against the baseline's training and inference time.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from safedl.data import TensorData
from safedl.defenses.base import AdaptiveNeeds, DefendedModel, Defense, DefenseContext
from safedl.defenses.cost import accuracy_cost, defense_cost
from safedl.errors import DataError
from safedl.models import ModelAdapter, model_fingerprint
from safedl.registry import PluginConfig
from safedl.training import LossFn, train_or_load


class RepairConfig(PluginConfig):
    """Fine-tuning parameters every repair defense shares."""

    epochs: int = Field(10, ge=0, le=1000, description="Fine-tuning epochs on the clean set.")
    lr: float | None = Field(
        None, gt=0, description="Fine-tuning learning rate; default: the baseline's."
    )
    optimizer: Literal["adam", "sgd"] | None = Field(
        None, description="Fine-tuning optimiser; default: the baseline's."
    )
    scheduler: Literal["none", "cosine"] | None = Field(
        None, description="Learning-rate schedule; default: the baseline's."
    )


def clean_set(ctx: DefenseContext, name: str) -> TensorData:
    """The defender's small clean set: the validation split.

    Raises:
        DataError: The context has no validation data.
    """
    if len(ctx.splits.val) == 0:
        raise DataError(
            f"defense {name!r} fine-tunes on clean held-out data, but the validation split "
            "is empty",
            hint="set dataset.val_fraction above 0 (e.g. 0.1)",
        )
    return ctx.splits.val


def copy_of(ctx: DefenseContext) -> ModelAdapter:
    """A fresh model of the baseline's architecture holding the baseline's weights."""
    model = ctx.new_model()
    model.module.load_state_dict(ctx.baseline.module.state_dict())
    model.module.eval()
    return model


def fine_tune(
    ctx: DefenseContext,
    model: ModelAdapter,
    data: TensorData,
    cfg: RepairConfig,
    spec: dict[str, Any],
    *,
    loss_fn: LossFn | None = None,
    description: str = "fine-tuning",
) -> tuple[str | None, dict[str, Any], bool]:
    """Fine-tune ``model`` in place on ``data`` (or load the stored result); 0 epochs: no-op.

    ``spec`` must describe everything that changed ``model`` from the baseline (it is keyed
    together with the baseline's id, the data, the settings and the seed).
    """
    if cfg.epochs == 0:
        return None, {}, False
    settings = ctx.training.model_copy(
        update={
            "epochs": cfg.epochs,
            "lr": cfg.lr if cfg.lr is not None else ctx.training.lr,
            "optimizer": cfg.optimizer or ctx.training.optimizer,
            "scheduler": cfg.scheduler or ctx.training.scheduler,
            "early_stopping_patience": None,
            "batch_size": min(ctx.training.batch_size, max(1, len(data) // 4)),
        }
    )
    return train_or_load(
        ctx.store,
        model,
        data,
        None,
        settings,
        seed=ctx.seed,
        spec={"model": ctx.model_spec, "role": "repaired", "init": ctx.baseline_id, **spec},
        loss_fn=loss_fn,
        description=description,
    )


class RepairDefense(Defense):
    """Base of repair defenses (see the module docstring)."""

    kind: ClassVar[Literal["repair"]] = "repair"
    answers: ClassVar[tuple[str, ...]] = ("poisoning", "backdoor")
    adaptive: ClassVar[AdaptiveNeeds] = AdaptiveNeeds()

    def finish(
        self,
        ctx: DefenseContext,
        model: ModelAdapter,
        *,
        key: str | None,
        seconds: float,
        reused: bool,
        meta: dict[str, Any],
        metrics: dict[str, Any],
    ) -> DefendedModel:
        """The :class:`DefendedModel` of a repaired ``model`` with its measured cost."""
        training = meta.get("training", {})
        cost = defense_cost(
            ctx,
            model,
            train_seconds=seconds,
            reused=reused,
            train_seconds_original=training.get("seconds") if reused else None,
        )
        return DefendedModel(
            defense=self.plugin_name,
            kind=self.kind,
            params=self.params,
            model=model,
            model_id=model_fingerprint(model),
            adaptive=type(self).adaptive,
            cost=cost,
            artifact=key,
            metrics={
                **accuracy_cost(ctx, model),
                "fine_tuning": {
                    k: training.get(k) for k in ("epochs_run", "seconds") if k in training
                },
                **metrics,
            },
        )


__all__ = ["RepairConfig", "RepairDefense", "clean_set", "copy_of", "fine_tune"]
