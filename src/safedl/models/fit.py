"""Checking that a model fits its data: accepts the input shape, returns one logit per class."""

from __future__ import annotations

import torch
from torch import nn

from safedl.errors import ModelError


def _module_device(module: nn.Module) -> torch.device:
    for param in module.parameters():
        return param.device
    for buffer in module.buffers():
        return buffer.device
    return torch.device("cpu")


def check_fit(
    module: nn.Module,
    input_shape: tuple[int, int, int],
    num_classes: int,
    *,
    name: str = "model",
    dataset: str | None = None,
) -> None:
    """Dry-run ``module`` on a zeros batch of two and check its output is ``[2, num_classes]``.

    The forward pass runs in eval mode under ``torch.no_grad`` on the module's device; the
    module's training flags are restored afterwards.

    Args:
        module: The model.
        input_shape: ``(C, H, W)`` of one input image.
        num_classes: Number of classes of the dataset.
        name: Model name used in messages.
        dataset: Dataset name used in messages.

    Raises:
        ModelError: The forward pass raises, or the output is not a ``[2, num_classes]`` tensor.
    """
    shape = tuple(int(s) for s in input_shape)
    data = f"dataset {dataset!r}" if dataset else "the dataset"
    modes = {m: m.training for m in module.modules()}
    x = torch.zeros((2, *shape), device=_module_device(module))
    try:
        module.eval()
        with torch.no_grad():
            out = module(x)
    except Exception as exc:
        raise ModelError(
            f"model {name!r} fails on inputs of shape {shape}: {type(exc).__name__}: {exc}",
            hint=f"{data} has images of shape (C, H, W) = {shape}; make the model's first "
            "layer and any flatten size match it, or use a model built for this input",
        ) from exc
    finally:
        for m, training in modes.items():
            m.train(training)
    if not isinstance(out, torch.Tensor):
        raise ModelError(
            f"model {name!r} returns a {type(out).__name__}, not a tensor of logits",
            hint="forward() must return a [batch, num_classes] tensor of logits",
        )
    if out.dim() == 2 and out.shape[0] == 2 and out.shape[1] != num_classes:
        raise ModelError(
            f"model {name!r} returns {out.shape[1]} classes but {data} has {num_classes}",
            hint=f"set the model's output layer to {num_classes} classes "
            "(built-ins and factories taking num_classes get it automatically)",
        )
    if tuple(out.shape) != (2, num_classes):
        raise ModelError(
            f"model {name!r} returns output of shape {tuple(out.shape)} for a batch of 2, "
            f"expected (2, {num_classes})",
            hint="forward() must return a [batch, num_classes] tensor of logits",
        )


__all__ = ["check_fit"]
