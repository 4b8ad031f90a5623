"""Train once: models are stored under a content hash of everything that determines them.

The key covers the data (content fingerprints of the train and validation splits), the model
spec, the training settings and the seed. A re-run, a resumed run or a later stage that asks
for the same model gets the stored weights instead of training again. An interrupted training
resumes from its last epoch checkpoint.
"""

from __future__ import annotations

import logging
from typing import Any

from safedl.config.profile import TrainingConfig
from safedl.data import TensorData
from safedl.models import ModelAdapter
from safedl.store import ArtifactStore, content_key
from safedl.training.loop import LossFn, train

log = logging.getLogger(__name__)


def train_or_load(
    store: ArtifactStore,
    model: ModelAdapter,
    train_data: TensorData,
    val_data: TensorData | None,
    cfg: TrainingConfig,
    *,
    seed: int,
    spec: dict[str, Any],
    loss_fn: LossFn | None = None,
    description: str = "training",
) -> tuple[str, dict[str, Any], bool]:
    """Load the model keyed by its inputs from ``store``, or train and store it.

    Args:
        spec: JSON-serialisable description of the model and of anything else that changes
            the result (e.g. a defense's parameters); part of the key.
        loss_fn: optional training loss, see :func:`safedl.training.train`. Its identity must be
            described in ``spec``.

    Returns:
        ``(key, metadata, reused)``; metadata holds the training result.
    """
    key = content_key(
        "model",
        {
            "spec": spec,
            "train": train_data.fingerprint(),
            "val": val_data.fingerprint() if val_data is not None else None,
            "training": cfg.model_dump(mode="json"),
            "seed": seed,
        },
    )
    if store.has(key):
        log.info("%s: reusing stored model %s", description, key)
        meta = store.load_model(key, model.module)
        model.module.eval()
        return key, meta, True
    checkpoint = store.scratch(key, ".ckpt")
    result = train(
        model,
        train_data,
        val_data,
        cfg,
        seed=seed,
        checkpoint=checkpoint,
        loss_fn=loss_fn,
        description=description,
    )
    meta = {"spec": spec, "seed": seed, "training": result.to_dict()}
    store.save_model(key, model.module, meta)
    checkpoint.unlink(missing_ok=True)
    return key, meta, False
