"""Gradient steps and projections onto the ε-ball ∩ [0, 1], shared by gradient attacks."""

from __future__ import annotations

from collections.abc import Callable

import torch


def gradient(loss_fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """Gradient of a scalar ``loss_fn(x)`` with respect to ``x`` (parameters untouched)."""
    z = x.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(loss_fn(z), z)
    return grad


def _l2(t: torch.Tensor) -> torch.Tensor:
    return t.flatten(1).norm(dim=1).clamp_min(1e-12).view(-1, *([1] * (t.dim() - 1)))


def step(x: torch.Tensor, grad: torch.Tensor, size: float, norm: str) -> torch.Tensor:
    """Move ``x`` by ``size`` in the steepest-ascent direction of ``grad`` for ``norm``."""
    if norm == "linf":
        return x + size * grad.sign()
    return x + size * grad / _l2(grad)


def project(x: torch.Tensor, x_adv: torch.Tensor, eps: float, norm: str) -> torch.Tensor:
    """Project ``x_adv`` onto the ``norm`` ball of radius ``eps`` around ``x``, then into [0, 1]."""
    delta = x_adv - x
    if norm == "linf":
        return (x + delta.clamp(-eps, eps)).clamp(0.0, 1.0)
    delta = delta * (eps / _l2(delta)).clamp(max=1.0)
    return (x + delta).clamp(0.0, 1.0)


def random_start(x: torch.Tensor, eps: float, norm: str, gen: torch.Generator) -> torch.Tensor:
    """A uniformly random point of the ``norm`` ball around ``x``, clipped to [0, 1]."""
    if norm == "linf":
        noise = (torch.rand(x.shape, generator=gen, device=x.device) * 2 - 1) * eps
    else:
        direction = torch.randn(x.shape, generator=gen, device=x.device)
        direction = direction / _l2(direction)
        dims = x[0].numel()
        radius = torch.rand(x.shape[0], generator=gen, device=x.device) ** (1.0 / dims)
        noise = direction * eps * radius.view(-1, *([1] * (x.dim() - 1)))
    return (x + noise).clamp(0.0, 1.0)
