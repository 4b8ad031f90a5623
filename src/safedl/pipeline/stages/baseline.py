"""Baseline stage: the undefended model, trained once (or loaded from the profile's weights)."""

from __future__ import annotations

import logging

from safedl.evaluation.metrics import rate_of
from safedl.models import model_fingerprint
from safedl.pipeline.context import RunContext
from safedl.pipeline.stages.base import Stage, StageOutcome
from safedl.training import train_or_load

log = logging.getLogger(__name__)


class BaselineStage(Stage):
    """Train the profile's model on the profile's data (or load given weights) and test it."""

    name = "baseline"

    def run(self, ctx: RunContext) -> StageOutcome:
        profile, splits = ctx.profile, ctx.splits()
        model = ctx.new_model()
        result: dict[str, object] = {
            "dataset": {
                "name": splits.name,
                "input_shape": list(splits.input_shape),
                "classes": splits.classes,
                "sizes": {
                    "train": len(splits.train),
                    "val": len(splits.val),
                    "test": len(splits.test),
                },
                "fingerprint": splits.fingerprint(),
            },
            "model": {
                "name": profile.model.name,
                "parameters": sum(p.numel() for p in model.module.parameters()),
            },
        }
        if profile.model.weights:
            result["source"] = "weights"
            result["weights"] = profile.model.weights
        else:
            spec = {
                "model": profile.model.model_dump(mode="json", exclude={"weights"}),
                "role": "baseline",
            }
            key, meta, reused = train_or_load(
                ctx.store,
                model,
                splits.train,
                splits.val,
                profile.training,
                seed=ctx.seed,
                spec=spec,
                description="training baseline",
            )
            result.update(source="trained", artifact=key, reused=reused, training=meta["training"])
        ctx._baseline = model
        result["model_id"] = model_fingerprint(model)
        pred = model.predict(splits.test.x, batch_size=profile.evaluation.batch_size)
        correct = pred == splits.test.y
        result["test_accuracy"] = rate_of(correct).to_dict()
        result["per_class_accuracy"] = {
            name: float(correct[splits.test.y == c].float().mean().item())
            for c, name in enumerate(splits.classes)
            if bool((splits.test.y == c).any())
        }
        log.info("baseline test accuracy %.4f", result["test_accuracy"]["value"])  # type: ignore[index]
        return StageOutcome("done", result)
