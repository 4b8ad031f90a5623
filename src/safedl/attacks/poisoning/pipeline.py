"""Poisoning and backdoor attacks as units of the attack stage of ``safedl run``.

:func:`run_in_pipeline` evaluates one attack of the plan against the run's baseline (taken from
the artifact store, never retrained): the poisoned set and the victim become artifacts of the
run's store, figures go to ``plots/``, and the returned dict is the attack's entry in the
record. Its keys ``poison_artifact`` and ``victim_artifact`` name the artifacts (see
:mod:`safedl.attacks.poisoning.evaluate`); it deliberately has no ``artifact`` key, which the
evasion analyses read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from safedl.attacks.backdoor.base import BackdoorAttack
from safedl.attacks.poisoning.base import PoisoningAttack
from safedl.attacks.poisoning.evaluate import PoisoningResult, evaluate_poisoning
from safedl.config.profile import ModelConfig, NormalizationConfig
from safedl.data import TensorData
from safedl.evaluation.metrics import Rate
from safedl.models import ModelAdapter, build_model
from safedl.registry import ATTACKS

if TYPE_CHECKING:
    from safedl.pipeline.context import RunContext

log = logging.getLogger(__name__)


def victim_factory(
    model: ModelConfig,
    input_shape: tuple[int, int, int],
    num_classes: int,
    *,
    seed: int,
    device: str | torch.device,
    normalization: NormalizationConfig | None = None,
) -> Callable[[], ModelAdapter]:
    """A function building the model from scratch (no weights), identically seeded each time."""
    fresh = model.model_copy(update={"weights": None})

    def build() -> ModelAdapter:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            module = build_model(fresh, input_shape, num_classes)
        return ModelAdapter(
            module,
            input_shape=input_shape,
            num_classes=num_classes,
            normalization=normalization,
            device=device,
        )

    return build


def write_plots(
    attack: PoisoningAttack,
    result: PoisoningResult,
    train: TensorData,
    test: TensorData,
    classes: list[str],
    directory: Path,
    stem: str,
) -> dict[str, Path]:
    """Trigger (backdoors), poisoned examples and per-class accuracy; returns the files."""
    from safedl.reporting.poisoning_plots import (
        plot_per_class,
        plot_poisoned_examples,
        plot_trigger,
    )

    made: dict[str, Path] = {}
    poisoned = result.poisoned
    if isinstance(attack, BackdoorAttack) and poisoned is not None and poisoned.trigger:
        attack.use_trigger(poisoned.trigger)
        shown = test.x[attack.eligible(test.y)][:5]
        made["trigger"] = plot_trigger(
            attack.trigger_image(),
            shown,
            attack.apply_trigger(shown),
            directory / f"{stem}-trigger.png",
            f"{result.attack}: trigger",
        )
    if poisoned is not None:
        idx = poisoned.indices[:6]
        made["poisoned_examples"] = plot_poisoned_examples(
            train.x[idx],
            poisoned.data.x[idx],
            [classes[int(c)] for c in train.y[idx]],
            [classes[int(c)] for c in poisoned.data.y[idx]],
            directory / f"{stem}-poisoned.png",
            f"{result.attack}: {result.poison_count} poisoned training samples",
        )
    made["per_class"] = plot_per_class(
        result.per_class_accuracy["before"],
        result.per_class_accuracy["after"],
        directory / f"{stem}-per-class.png",
        f"{result.attack}: per-class accuracy",
    )
    return made


def run_in_pipeline(ctx: RunContext, name: str, params: dict[str, Any], key: str) -> dict[str, Any]:
    """Evaluate poisoning/backdoor attack ``name`` in a run; the attack's record entry.

    The victim is built from scratch and trained with the profile's training settings and seed
    (as the baseline was); the baseline's test accuracy is read from the record.
    """
    info = ATTACKS.get(name)
    attack = ATTACKS.create(name, params, seed=ctx.seed)
    if not isinstance(attack, PoisoningAttack):
        return {
            "attack": name,
            "family": info.family,
            "status": "unavailable",
            "note": f"{name} does not subclass PoisoningAttack, so it cannot be evaluated",
        }
    splits = ctx.splits()
    measured = ctx.record.result("baseline").get("test_accuracy")
    profile = ctx.profile
    factory = victim_factory(
        profile.model,
        splits.input_shape,
        splits.num_classes,
        seed=ctx.seed,
        device=ctx.device,
        normalization=profile.model.normalization,
    )
    log.info("attack %s: poisoning the training set and training the victim", name)
    result = evaluate_poisoning(
        attack,
        train=splits.train,
        val=splits.val,
        test=splits.test,
        baseline=ctx.baseline(),
        victim_factory=factory,
        training=profile.training,
        store=ctx.store,
        seed=ctx.seed,
        model_spec=profile.model.model_dump(mode="json", exclude={"weights"}),
        classes=splits.classes,
        baseline_accuracy=Rate(**measured) if measured else None,
        batch_size=profile.evaluation.batch_size,
    )
    stem = f"{name}-{key.rsplit('-', 1)[-1][:8]}"
    files = write_plots(
        attack, result, splits.train, splits.test, splits.classes, ctx.plots_dir, stem
    )
    out: dict[str, Any] = {
        "status": "done",
        "unit": key,
        **result.to_dict(),
        "plots": {k: str(p.relative_to(ctx.run_dir)) for k, p in files.items()},
    }
    if profile.model.weights:
        out["note"] = (
            "the baseline came from weights; the victim was trained from scratch with the "
            "profile's training settings, so the accuracy drop also reflects that difference"
        )
    return out
