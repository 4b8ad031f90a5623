"""The built-in architectures, by name.

Each entry is a factory ``factory(input_shape, num_classes, **params) -> nn.Module``; the
parameters a profile may set are the factory's keyword arguments after ``num_classes``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import nn

from safedl.models.mlp import mlp
from safedl.models.resnet import resnet18
from safedl.models.small_cnn import small_cnn

ModelFactory = Callable[..., nn.Module]

BUILTINS: dict[str, ModelFactory] = {
    "small_cnn": small_cnn,
    "mlp": mlp,
    "resnet18": resnet18,
}


def model_names() -> list[str]:
    """Return the names of the built-in architectures, sorted."""
    return sorted(BUILTINS)


def builtin_params(name: str) -> dict[str, Any]:
    """Return the tunable parameters of a built-in architecture with their defaults.

    Args:
        name: A name from :func:`model_names`.

    Returns:
        ``{param: default}`` for every keyword argument after ``num_classes``.
    """
    import inspect

    sig = inspect.signature(BUILTINS[name])
    return {
        p.name: p.default
        for p in list(sig.parameters.values())[2:]
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    }


__all__ = ["BUILTINS", "ModelFactory", "builtin_params", "model_names"]
