"""The inner maximisation of adversarial training: batched PGD / FGSM steps on a training batch.

Shared by PGD-AT, TRADES, fast AT and fast AT's overfitting guard. Unlike the registered
evasion attacks these run inside the training loop: on the module in whatever mode the loop
left it, with randomness from the global generator (which the loop seeds per epoch, so a
resumed training draws the same starts), a fixed number of steps on every example (no early
exit: training wants the final iterate) and gradients taken with respect to the input only.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch.nn import functional as F

from safedl.attacks.evasion.steps import project, step

LogitsFn = Callable[[torch.Tensor], torch.Tensor]


def uniform_start(x: torch.Tensor, eps: float, norm: str) -> torch.Tensor:
    """A random point of the ``norm`` ball of radius ``eps`` around ``x``, inside [0, 1].

    L∞: uniform in the box; L2: uniform direction, radius ``eps·u^(1/d)`` (uniform in the
    ball). Draws from the global generator.
    """
    if norm == "linf":
        noise = (torch.rand_like(x) * 2 - 1) * eps
    else:
        direction = torch.randn_like(x)
        direction = direction / direction.flatten(1).norm(dim=1).clamp_min(1e-12).view(-1, 1, 1, 1)
        radius = torch.rand(len(x), device=x.device) ** (1.0 / x[0].numel())
        noise = direction * eps * radius.view(-1, 1, 1, 1)
    return (x + noise).clamp(0.0, 1.0)


def maximise(
    objective: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    start: torch.Tensor,
    *,
    eps: float,
    step_size: float,
    steps: int,
    norm: str,
) -> torch.Tensor:
    """Projected steepest ascent on a scalar ``objective`` from ``start``, inside the ε-ball.

    Args:
        objective: Scalar to maximise (a sum over the batch, so each example's gradient is
            its own).
        x: Clean batch; the ball is centred on it.
        start: First iterate (inside the ball and [0, 1]).
        eps: Radius of the ball.
        step_size: Length of each step (in ``norm``).
        steps: Number of steps.
        norm: ``"linf"`` (signed gradient) or ``"l2"`` (normalised gradient).

    Returns:
        The last iterate, detached.
    """
    x_adv = start.detach()
    for _ in range(steps):
        z = x_adv.requires_grad_(True)
        (grad,) = torch.autograd.grad(objective(z), z)
        x_adv = project(x, step(z.detach(), grad, step_size, norm), eps, norm).detach()
    return x_adv


def pgd_examples(
    logits_fn: LogitsFn,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    eps: float,
    step_size: float,
    steps: int,
    norm: str = "linf",
    random_start: bool = True,
) -> torch.Tensor:
    """PGD on the cross-entropy of the true labels (Madry et al., 2018); one step is FGSM."""
    start = uniform_start(x, eps, norm) if random_start else x

    def loss(z: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(logits_fn(z), y, reduction="sum")

    return maximise(loss, x, start, eps=eps, step_size=step_size, steps=steps, norm=norm)


__all__ = ["LogitsFn", "maximise", "pgd_examples", "uniform_start"]
