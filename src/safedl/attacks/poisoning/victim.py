"""Train the victim of a poisoning attack: from scratch, fine-tuned, or its last layer only.

``victim_training: scratch`` (the default) builds a fresh model, initialised as the baseline
was, and trains it on the poisoned set with the baseline's settings and seed — the setting of
BadNets and of Witches' Brew's from-scratch experiments. ``fine-tune`` starts from the
baseline's weights and trains ``fine_tune_epochs`` more on the poisoned set with the baseline's
optimiser settings — a deployed model updated on newly collected data, where each poison weighs
more. ``last-layer`` does the same with every parameter but the last ``nn.Linear``'s frozen and
every other layer kept in eval mode (batch-norm statistics and dropout frozen too) — transfer
learning on a fixed feature extractor, the main setting of Poison Frogs. Either way the victim
is an artifact keyed by the poisoned set's key and, when it starts from the baseline, by the
baseline's weights.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from torch import nn

from safedl.attacks.poisoning.base import PoisoningConfig
from safedl.config.profile import TrainingConfig
from safedl.data import TensorData
from safedl.errors import ModelError
from safedl.models import ModelAdapter
from safedl.store import ArtifactStore
from safedl.training import train_or_load


@contextmanager
def last_layer_only(module: nn.Module) -> Iterator[None]:
    """Within the block, only the last ``nn.Linear`` of ``module`` trains.

    Its parameters are the only ones with ``requires_grad``; every other sub-module is put back
    in eval mode before each forward pass (the training loop calls ``module.train()`` each
    epoch). Flags are restored on exit.

    Raises:
        ModelError: ``module`` has no ``nn.Linear``.
    """
    linears = [m for m in module.modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise ModelError(
            "victim_training 'last-layer' needs a model whose last layer is nn.Linear",
            hint="use victim_training 'fine-tune' or 'scratch' for this model",
        )
    head = linears[-1]
    trainable = {id(p) for p in head.parameters()}
    params = list(module.parameters())
    flags = [p.requires_grad for p in params]
    frozen = [m for m in module.modules() if m is not head and not list(m.children())]

    def freeze(_module: nn.Module, _args: Any) -> None:
        for m in frozen:
            m.eval()

    for p in params:
        p.requires_grad_(id(p) in trainable)
    handle = module.register_forward_pre_hook(freeze)
    try:
        yield
    finally:
        handle.remove()
        for p, flag in zip(params, flags, strict=True):
            p.requires_grad_(flag)


def train_victim(
    cfg: PoisoningConfig,
    *,
    store: ArtifactStore,
    factory: Callable[[], ModelAdapter],
    baseline: ModelAdapter,
    baseline_fingerprint: str,
    data: TensorData,
    val: TensorData | None,
    training: TrainingConfig,
    seed: int,
    spec: dict[str, Any],
    description: str,
) -> tuple[ModelAdapter, str, dict[str, Any], bool]:
    """Train (or reuse) the victim on the poisoned ``data``.

    Returns:
        ``(victim, artifact key, training metadata, reused)``.
    """
    victim = factory()
    settings = training
    if cfg.victim_training != "scratch":  # a scratch victim keeps the key it always had
        victim.module.load_state_dict(baseline.module.state_dict())
        settings = training.model_copy(update={"epochs": cfg.fine_tune_epochs})
        spec = {**spec, "victim_training": cfg.victim_training, "init": baseline_fingerprint}

    def fit() -> tuple[str, dict[str, Any], bool]:
        return train_or_load(
            store, victim, data, val, settings, seed=seed, spec=spec, description=description
        )

    if cfg.victim_training == "last-layer":
        with last_layer_only(victim.module):
            key, meta, reused = fit()
    else:
        key, meta, reused = fit()
    return victim, key, meta, reused


__all__ = ["last_layer_only", "train_victim"]
