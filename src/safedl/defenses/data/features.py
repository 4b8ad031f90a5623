"""Penultimate-layer features of a classifier: the input of its last ``nn.Linear``.

The data filters (spectral signatures, activation clustering, deep k-NN) all look at what the
(possibly poisoned) model has learnt to represent, one vector per training image: the
activations that feed its class layer. Any model whose logits come from a final ``nn.Linear``
(``small_cnn``, ``mlp``, the ResNets) qualifies; a forward hook on that layer captures its
input during batched, gradient-free inference in eval mode.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from safedl.errors import ModelError
from safedl.models import ModelAdapter


def class_layer(module: nn.Module) -> nn.Linear:
    """The last ``nn.Linear`` of ``module`` (its class layer).

    Raises:
        ModelError: ``module`` has no ``nn.Linear``.
    """
    linears = [m for m in module.modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise ModelError(
            "this defense reads penultimate-layer features, but the model has no nn.Linear "
            "class layer",
            hint="use a model whose logits come from a final nn.Linear (small_cnn, mlp, resnet)",
        )
    return linears[-1]


def penultimate_features(
    model: ModelAdapter, x: torch.Tensor, *, batch_size: int = 512
) -> torch.Tensor:
    """``[N, D]`` float32 CPU features: the input of the model's class layer for each image."""
    layer = class_layer(model.module)
    captured: list[torch.Tensor] = []

    def hook(_m: nn.Module, inputs: tuple[Any, ...]) -> None:
        captured.append(inputs[0].detach().flatten(1).float().cpu())

    handle = layer.register_forward_pre_hook(hook)
    was_training = model.module.training
    model.module.eval()
    try:
        with torch.inference_mode():
            for i in range(0, len(x), batch_size):
                model.logits(x[i : i + batch_size])
    finally:
        handle.remove()
        model.module.train(was_training)
    if not captured:
        return torch.zeros(0, layer.in_features)
    return torch.cat(captured).clone()


__all__ = ["class_layer", "penultimate_features"]
