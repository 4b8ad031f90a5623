"""Baseline stage: the undefended model, trained once (or loaded from the profile's weights).

With a profile ``target`` the model under test is a served endpoint: the stage checks that it
takes the dataset's images and classes and measures its clean accuracy on the evaluation set
through its queries (counted like every other query).
"""

from __future__ import annotations

import logging

from torch import Tensor

from safedl.errors import ConfigError
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
        if ctx.is_remote:
            return StageOutcome("done", _remote(ctx))
        profile, splits = ctx.profile, ctx.splits()
        model = ctx.new_model()
        result: dict[str, object] = {
            "dataset": _dataset(ctx),
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
        result.update(_accuracy(pred, splits.test.y, splits.classes))
        return StageOutcome("done", result)


def _dataset(ctx: RunContext) -> dict[str, object]:
    splits = ctx.splits()
    return {
        "name": splits.name,
        "input_shape": list(splits.input_shape),
        "classes": splits.classes,
        "sizes": {"train": len(splits.train), "val": len(splits.val), "test": len(splits.test)},
        "fingerprint": splits.fingerprint(),
    }


def _accuracy(pred: Tensor, y: Tensor, classes: list[str]) -> dict[str, object]:
    correct = pred == y
    accuracy = rate_of(correct)
    log.info("baseline test accuracy %.4f", accuracy.value)
    return {
        "test_accuracy": accuracy.to_dict(),
        "per_class_accuracy": {
            name: float(correct[y == c].float().mean().item())
            for c, name in enumerate(classes)
            if bool((y == c).any())
        },
    }


def _remote(ctx: RunContext) -> dict[str, object]:
    """The served model's description and clean accuracy on the evaluation set."""
    oracles, splits = ctx.remote(), ctx.splits()
    endpoint = oracles.endpoint
    url = endpoint.url
    if endpoint.input_shape != tuple(splits.input_shape):
        raise ConfigError(
            f"target.url {url}: the endpoint takes images of shape {list(endpoint.input_shape)}, "
            f"but dataset {splits.name!r} has {list(splits.input_shape)}",
            hint="assess the endpoint with data of its input shape (dataset.name)",
        )
    if endpoint.num_classes != splits.num_classes:
        raise ConfigError(
            f"target.url {url}: the endpoint answers {endpoint.num_classes} classes, but "
            f"dataset {splits.name!r} has {splits.num_classes}",
            hint="assess the endpoint with the dataset it classifies (dataset.name)",
        )
    data = ctx.evaluation_set()
    pred = oracles(output="label", budget=None)(data.x)
    info = endpoint.info
    return {
        "dataset": _dataset(ctx),
        "model": {
            "name": str(info.get("name", "remote")),
            "endpoint": url,
            "served_model_id": info.get("model_id"),
            "output": info.get("output", {}),
            "detectors": [d.get("name") for d in info.get("detectors", [])],
        },
        "source": "remote",
        "model_id": endpoint.model_id,
        "accuracy_measured_on": f"the evaluation set ({len(data)} test images, by query)",
        "queries": len(data),
        **_accuracy(pred, data.y, splits.classes),
    }
