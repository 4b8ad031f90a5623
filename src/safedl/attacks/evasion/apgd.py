"""APGD-CE and APGD-DLR — Auto-PGD, the budget-aware, step-size-free PGD of AutoAttack.

The step size starts at 2ε and is halved at checkpoints ``w_j = ⌈p_j N⌉`` (p_0 = 0,
p_1 = 0.22, p_{j+1} = p_j + max(p_j − p_{j−1} − 0.03, 0.06)) for every example whose loss rose
in fewer than ρ of the steps since the last checkpoint, or whose step size and best loss both
stayed unchanged since then; such an example restarts from its best point. An example is
returned at the first iterate that fools the model (and gets no more gradients); an example
that resists is returned at its highest-loss point over all restarts.
"""

from __future__ import annotations

import math

import torch
from pydantic import Field
from torch.nn import functional as F

from safedl.attacks.evasion.base import AttackRun, EvasionAttack, EvasionConfig
from safedl.attacks.evasion.dlr import dlr_loss, targeted_dlr_loss
from safedl.attacks.evasion.steps import project
from safedl.errors import ConfigError
from safedl.models import ModelAdapter
from safedl.registry import ATTACKS

_PAPER = (
    "Croce & Hein, Reliable evaluation of adversarial robustness with an ensemble of diverse "
    "parameter-free attacks, ICML 2020"
)
State = dict[str, torch.Tensor]


def checkpoints(steps: int) -> list[int]:
    """Iterations ``w_1 < w_2 < ... <= steps`` at which APGD may halve its step size."""
    p = [0.0, 0.22]
    while p[-1] + max(p[-1] - p[-2] - 0.03, 0.06) <= 1.0:
        p.append(p[-1] + max(p[-1] - p[-2] - 0.03, 0.06))
    return sorted({math.ceil(round(q * steps, 6)) for q in p[1:]} - {0})


def _per_example(t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return t.view(-1, *([1] * (like.dim() - 1)))


class _APGD(EvasionAttack[ModelAdapter]):
    """Shared APGD loop (see the module docstring); subclasses choose the loss."""

    class Config(EvasionConfig):
        """APGD parameters on top of the shared evasion ones."""

        steps: int = Field(
            100, ge=1, le=10_000, description="Iterations per restart (the budget N)."
        )
        restarts: int = Field(
            1, ge=1, le=100, description="Runs from new random starts on examples still robust."
        )
        rho: float = Field(
            0.75, gt=0, le=1, description="Halve the step when the loss rose in < ρ of steps."
        )
        alpha: float = Field(
            0.75, gt=0, le=1, description="Weight α of the new step; 1 - α on the last move."
        )

    config: Config

    def _loss(
        self, logits: torch.Tensor, y: torch.Tensor, target: torch.Tensor | None
    ) -> torch.Tensor:
        raise NotImplementedError

    def _check_classes(self, num_classes: int) -> None:
        """Raise when the loss cannot be used with this many classes."""

    def perturb(
        self,
        model: ModelAdapter,
        x: torch.Tensor,
        y: torch.Tensor,
        target: torch.Tensor | None,
        run: AttackRun,
    ) -> torch.Tensor:
        generator = run.generator
        self._check_classes(model.num_classes)
        out = x.clone()
        best_loss = torch.full((len(x),), -torch.inf, device=x.device)
        alive = torch.ones(len(x), dtype=torch.bool, device=x.device)
        for _ in range(self.config.restarts):
            idx = alive.nonzero().squeeze(1)
            if idx.numel() == 0:
                break
            state: State = {"idx": idx, "x0": x[idx], "y": y[idx]}
            if target is not None:
                state["t"] = target[idx]
            self._run(model, state, generator, out, best_loss, alive)
        return out

    def _start(self, x0: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        eps, norm = self.config.eps, self.config.norm
        if norm == "linf":
            t = torch.rand(x0.shape, generator=gen, device=x0.device) * 2 - 1
            size = t.flatten(1).abs().amax(1).clamp_min(1e-12)
        else:
            t = torch.randn(x0.shape, generator=gen, device=x0.device)
            size = t.flatten(1).norm(dim=1).clamp_min(1e-12)
        return (x0 + eps * t / _per_example(size, t)).clamp(0.0, 1.0)

    def _direction(self, grad: torch.Tensor) -> torch.Tensor:
        if self.config.norm == "linf":
            return grad.sign()
        return grad / _per_example(grad.flatten(1).norm(dim=1).clamp_min(1e-12), grad)

    def _evaluate(
        self, model: ModelAdapter, s: State
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Per-example loss, its gradient and whether the example already fools the model."""
        z = s["x"].detach().requires_grad_(True)
        logits = model.logits(z)
        target = s.get("t")
        loss = self._loss(logits, s["y"], target)
        (grad,) = torch.autograd.grad(loss.sum(), z)
        pred = logits.detach().argmax(1)
        hit = pred == target if target is not None else pred != s["y"]
        return loss.detach(), grad, hit

    def _run(
        self,
        model: ModelAdapter,
        s: State,
        gen: torch.Generator,
        out: torch.Tensor,
        best_loss: torch.Tensor,
        alive: torch.Tensor,
    ) -> None:
        """One APGD run on the examples of ``s``; writes results into ``out`` / ``best_loss``."""
        cfg = self.config
        s["x"] = self._start(s["x0"], gen)
        s["loss"], s["grad"], hit = self._evaluate(model, s)
        s["x_prev"], s["x_best"], s["grad_best"] = s["x"], s["x"], s["grad"]
        s["best"], s["best_at_check"] = s["loss"], s["loss"]
        s["eta"] = torch.full_like(s["loss"], 2.0 * cfg.eps)
        s["rises"] = torch.zeros_like(s["loss"])
        s["halved"] = torch.zeros_like(hit)
        marks, last_mark = set(checkpoints(cfg.steps)), 0
        for k in range(cfg.steps):
            s = self._settle(s, hit, out, alive)
            if s["idx"].numel() == 0:
                return
            x, x0 = s["x"], s["x0"]
            z = project(
                x0, x + _per_example(s["eta"], x) * self._direction(s["grad"]), cfg.eps, cfg.norm
            )
            a = 1.0 if k == 0 else cfg.alpha
            s["x"] = project(x0, x + a * (z - x) + (1 - a) * (x - s["x_prev"]), cfg.eps, cfg.norm)
            s["x_prev"] = x
            loss, s["grad"], hit = self._evaluate(model, s)
            s["rises"] = s["rises"] + (loss > s["loss"]).float()
            s["loss"] = loss
            better = loss > s["best"]
            s["best"] = torch.where(better, loss, s["best"])
            s["x_best"] = torch.where(_per_example(better, x), s["x"], s["x_best"])
            s["grad_best"] = torch.where(_per_example(better, x), s["grad"], s["grad_best"])
            if k + 1 in marks:
                length, last_mark = k + 1 - last_mark, k + 1
                halve = (s["rises"] < cfg.rho * length) | (
                    ~s["halved"] & (s["best"] <= s["best_at_check"])
                )
                s["eta"] = torch.where(halve, s["eta"] / 2, s["eta"])
                back = _per_example(halve, x) & ~_per_example(hit, x)
                s["x"] = torch.where(back, s["x_best"], s["x"])
                s["grad"] = torch.where(back, s["grad_best"], s["grad"])
                s["halved"], s["best_at_check"] = halve, s["best"]
                s["rises"] = torch.zeros_like(s["rises"])
        s = self._settle(s, hit, out, alive)
        better = s["best"] > best_loss[s["idx"]]
        out[s["idx"][better]] = s["x_best"][better]
        best_loss[s["idx"][better]] = s["best"][better]

    @staticmethod
    def _settle(s: State, hit: torch.Tensor, out: torch.Tensor, alive: torch.Tensor) -> State:
        """Freeze the examples that fool the model at their current iterate; drop them."""
        if not bool(hit.any()):
            return s
        done = s["idx"][hit]
        out[done] = s["x"][hit]
        alive[done] = False
        keep = ~hit
        return {name: value[keep] for name, value in s.items()}


@ATTACKS.register(
    "apgd_ce", family="evasion", access="white-box", norms=("linf", "l2"), paper=_PAPER
)
class APGDCE(_APGD):
    """APGD on the cross-entropy loss (Croce & Hein, 2020).

    Paper: Croce, Hein, "Reliable evaluation of adversarial robustness with an ensemble of
    diverse parameter-free attacks", ICML 2020.
    Threat: L∞ or L2 ball of radius ``eps``; access ``white-box`` (gradients).
    Reports: clean and robust accuracy, success rate (95% CIs), perturbation norms, images/s.

    Maximises cross-entropy (targeted: minimises cross-entropy to the target). The step size
    starts at 2ε and is halved at the paper's checkpoints when progress stalls; an example is
    returned at the first iterate that fools the model.
    """

    def _loss(
        self, logits: torch.Tensor, y: torch.Tensor, target: torch.Tensor | None
    ) -> torch.Tensor:
        if target is None:
            return F.cross_entropy(logits, y, reduction="none")
        return -F.cross_entropy(logits, target, reduction="none")


@ATTACKS.register(
    "apgd_dlr", family="evasion", access="white-box", norms=("linf", "l2"), paper=_PAPER
)
class APGDDLR(_APGD):
    """APGD on the Difference-of-Logits-Ratio loss (Croce & Hein, 2020).

    Paper: Croce, Hein, "Reliable evaluation of adversarial robustness with an ensemble of
    diverse parameter-free attacks", ICML 2020.
    Threat: L∞ or L2 ball of radius ``eps``; access ``white-box`` (gradients).
    Reports: clean and robust accuracy, success rate (95% CIs), perturbation norms, images/s.

    Maximises the DLR loss (see :mod:`safedl.attacks.evasion.dlr`), which is invariant to
    shifts and rescaling of the logits and needs at least 3 classes (targeted: 4). The step
    schedule is APGD-CE's.
    """

    def _check_classes(self, num_classes: int) -> None:
        need = 4 if self.config.targeted else 3
        if num_classes < need:
            kind = "targeted DLR (z_π1 − (z_π3 + z_π4)/2)" if self.config.targeted else "DLR"
            raise ConfigError(
                f"apgd_dlr needs at least {need} classes for the {kind} loss, but the model "
                f"has {num_classes}",
                hint="use apgd_ce instead",
            )

    def _loss(
        self, logits: torch.Tensor, y: torch.Tensor, target: torch.Tensor | None
    ) -> torch.Tensor:
        if target is None:
            return dlr_loss(logits, y)
        return targeted_dlr_loss(logits, y, target)
