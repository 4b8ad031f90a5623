"""Shared base of input transformations: preprocess the [0, 1] image before the model sees it.

An input defense (JPEG compression, bit-depth reduction, median smoothing) is an
:class:`InputTransform` module placed in front of the baseline's network. The defended model is
an ordinary :class:`~safedl.models.ModelAdapter` around
``nn.Sequential(transform, Normalize(mean, std), network)`` with ``normalization=None``: the
transformation acts on the [0, 1] image, before normalisation, and every attack sees exactly
what a user of the deployed model would.

Non-differentiable transformations (their true gradient is zero almost everywhere, so plain
gradient attacks stall and the defense *looks* robust) are attacked through a BPDA model
(Athalye et al., ICML 2018): the same network behind :class:`StraightThrough`, whose forward
pass is the real transformation and whose backward pass is that of a differentiable
approximation (the identity unless the transform defines a better one). The adaptive attacks
(:mod:`safedl.attacks.evasion.adaptive`) attack that model and score on the real one. Every
input defense provides the BPDA model; whether the adaptive view uses it follows its
``adaptive.differentiable`` declaration (a median filter's own gradient is exact a.e.).
"""

from __future__ import annotations

import copy
from abc import abstractmethod
from typing import Any, ClassVar, Literal

import torch
from torch import nn

from safedl.defenses.base import AdaptiveNeeds, DefendedModel, Defense, DefenseContext
from safedl.defenses.cost import accuracy_cost, defense_cost
from safedl.models import ModelAdapter, model_fingerprint
from safedl.store import content_key


class Normalize(nn.Module):
    """``(x - mean) / std`` per channel, as :class:`ModelAdapter` does inside."""

    mean: torch.Tensor
    std: torch.Tensor

    def __init__(self, mean: list[float], std: list[float]) -> None:
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std


def image_module(adapter: ModelAdapter) -> nn.Module:
    """The adapter's network as a module on [0, 1] images (its normalisation made explicit)."""
    norm = adapter.normalization
    if norm is None:
        return adapter.module
    return nn.Sequential(Normalize(norm.mean, norm.std), adapter.module)


class _PiecewiseConstant(torch.autograd.Function):
    """Returns ``value`` with a zero gradient for ``x``: the exact derivative (almost
    everywhere) of a function that is constant between quantisation steps."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
        ctx.input_shape = x.shape
        return value.detach().clone()

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        return grad.new_zeros(ctx.input_shape), None


def piecewise_constant(x: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
    """``value`` (computed from ``x`` without autograd) with a zero gradient for ``x``."""
    out: torch.Tensor = _PiecewiseConstant.apply(x, value)
    return out


class InputTransform(nn.Module):
    """A preprocessing step on ``[N, C, H, W]`` images in [0, 1], batched, any device."""

    @abstractmethod
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The real transformation (what the deployed model computes)."""

    def approximation(self, x: torch.Tensor) -> torch.Tensor:
        """A differentiable stand-in used in the backward pass of BPDA (default: identity)."""
        return x


class StraightThrough(nn.Module):
    """BPDA: forward = ``transform(x)``, backward = the gradient of ``transform.approximation``."""

    def __init__(self, transform: InputTransform) -> None:
        super().__init__()
        self.transform = transform

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        approx = self.transform.approximation(x)
        with torch.no_grad():
            real = self.transform(x)
        return approx + (real - approx).detach()


class InputDefense(Defense):
    """Base of input defenses: a plugin writes :meth:`transform`; :meth:`apply` is shared."""

    kind: ClassVar[Literal["input"]] = "input"
    adaptive: ClassVar[AdaptiveNeeds] = AdaptiveNeeds(differentiable=False)

    @abstractmethod
    def transform(self) -> InputTransform:
        """The transformation with this defense's parameters."""

    def apply(self, ctx: DefenseContext) -> DefendedModel:
        base = ctx.baseline
        network = copy.deepcopy(image_module(base))  # never touch the baseline in place
        transform = self.transform()
        shape, classes = base.input_shape, base.num_classes
        model = ModelAdapter(
            nn.Sequential(transform, network),
            input_shape=shape,
            num_classes=classes,
            device=base.device,
        )
        bpda = ModelAdapter(  # the view when non-differentiable; an alternative otherwise
            nn.Sequential(StraightThrough(transform), network),
            input_shape=shape,
            num_classes=classes,
            device=base.device,
        )
        model_id = content_key(
            "model",
            {
                "network": model_fingerprint(base),
                "defense": self.plugin_name,
                "params": self.params,
            },
        )
        return DefendedModel(
            defense=self.plugin_name,
            kind=self.kind,
            params=self.params,
            model=model,
            model_id=model_id,
            adaptive=type(self).adaptive,
            cost=defense_cost(ctx, model, train_seconds=0.0),
            metrics=accuracy_cost(ctx, model),
            bpda_model=bpda,
        )


__all__ = [
    "InputDefense",
    "InputTransform",
    "Normalize",
    "StraightThrough",
    "image_module",
    "piecewise_constant",
]
