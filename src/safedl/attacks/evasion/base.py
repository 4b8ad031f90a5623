"""Shared machinery of evasion attacks: batching, seeding, targets, checks and metrics.

A plugin subclasses :class:`EvasionAttack` and implements one method, :meth:`perturb`, for one
batch. The base puts the model in attack mode (eval, parameter gradients off), splits the data
into batches on the model's device, draws targets for targeted attacks, then measures clean
and robust accuracy, success rate (each with a 95% CI), perturbation norms and speed, and checks
that every example lies inside the ε-ball and [0, 1]. It never clips on the attack's behalf, so
the check can catch an attack that leaves its threat model.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import torch
from pydantic import Field, model_validator

from safedl.data import TensorData
from safedl.evaluation.metrics import Rate, norm_summary, rate_of
from safedl.models import ModelAdapter
from safedl.registry import PluginConfig

BOUND_TOLERANCE = 1e-6


class EvasionConfig(PluginConfig):
    """Parameters every norm-bounded evasion attack shares."""

    eps: float = Field(0.1, gt=0, description="Perturbation budget in the chosen norm.")
    norm: Literal["linf", "l2"] = Field("linf", description="Norm of the threat model.")
    targeted: bool = Field(False, description="Aim at a target class instead of any error.")
    target_class: int | None = Field(
        None, ge=0, description="Fixed target class; random per example when unset."
    )

    @model_validator(mode="after")
    def _target_needs_targeted(self) -> EvasionConfig:
        if self.target_class is not None and not self.targeted:
            raise ValueError("target_class is set but targeted is false; set targeted: true")
        return self


@dataclass
class EvasionResult:
    """Metrics of one evasion attack on one dataset."""

    attack: str
    params: dict[str, Any]
    n: int
    clean_accuracy: Rate
    robust_accuracy: Rate
    attack_success_rate: Rate
    norms: dict[str, dict[str, float]]
    max_violation: float
    within_bounds: bool
    seconds: float
    images_per_second: float
    per_class_robust_accuracy: dict[str, float] = field(default_factory=dict)
    #: Attack-specific figures: queries used (black-box), accuracy at ε (minimum-norm), ...
    extra: dict[str, Any] = field(default_factory=dict)
    #: The adversarial examples themselves (CPU); not part of the serialised result.
    examples: torch.Tensor | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "examples"}
        for key in ("clean_accuracy", "robust_accuracy", "attack_success_rate"):
            out[key] = getattr(self, key).to_dict()
        return out


class EvasionAttack(ABC):
    """Base class of evasion attacks (white-box ones get the adapter, with gradients)."""

    Config: ClassVar[type[EvasionConfig]] = EvasionConfig
    plugin_name: ClassVar[str] = "evasion"
    #: Minimum-norm attacks (C&W, DeepFool) are not bound to the ε-ball: the bounds check then
    #: covers [0, 1] only, and ``eps`` is the budget at which ``accuracy_at_eps`` is reported.
    minimum_norm: ClassVar[bool] = False

    def __init__(self, config: EvasionConfig, *, seed: int = 0) -> None:
        self.config = config
        self.seed = seed

    @abstractmethod
    def perturb(
        self,
        model: ModelAdapter,
        x: torch.Tensor,
        y: torch.Tensor,
        target: torch.Tensor | None,
        generator: torch.Generator,
    ) -> torch.Tensor:
        """Return adversarial versions of one batch ``x`` (true labels ``y``).

        ``target`` holds the target classes for a targeted attack, else ``None``. Randomness
        must come from ``generator`` so that runs are reproducible.
        """

    def reset_stats(self) -> None:
        """Called before :meth:`generate`; plugins that count things (queries) reset here."""
        return None

    def stats(self) -> dict[str, Any]:
        """Attack-specific figures gathered during :meth:`generate`, put in ``result.extra``."""
        return {}

    def _targets(self, y: torch.Tensor, num_classes: int, gen: torch.Generator) -> torch.Tensor:
        if self.config.target_class is not None:
            if self.config.target_class >= num_classes:
                from safedl.errors import ConfigError

                raise ConfigError(
                    f"target_class {self.config.target_class} is out of range for "
                    f"{num_classes} classes"
                )
            return torch.full_like(y, self.config.target_class)
        shift = torch.randint(1, num_classes, y.shape, generator=gen, device=y.device)
        return (y + shift) % num_classes

    def generate(
        self, model: ModelAdapter, x: torch.Tensor, y: torch.Tensor, batch_size: int = 256
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Adversarial examples for all of ``x`` (on CPU) and the targets used, if any."""
        device = model.device
        gen = torch.Generator(device=device).manual_seed(self.seed)
        outs, targets = [], []
        with model.attack_mode():
            for i in range(0, len(x), batch_size):
                xb = x[i : i + batch_size].to(device)
                yb = y[i : i + batch_size].to(device)
                tb = self._targets(yb, model.num_classes, gen) if self.config.targeted else None
                adv = self.perturb(model, xb, yb, tb, gen)
                outs.append(adv.detach().cpu())
                if tb is not None:
                    targets.append(tb.cpu())
        x_adv = torch.cat(outs) if outs else x.clone()
        return x_adv, (torch.cat(targets) if targets else None)

    def violation(self, x: torch.Tensor, x_adv: torch.Tensor) -> torch.Tensor:
        """Per-example amount by which ``x_adv`` leaves the ε-ball or [0, 1] (0 when inside)."""
        delta = (x_adv - x).flatten(1)
        size = delta.abs().amax(1) if self.config.norm == "linf" else delta.norm(dim=1)
        outside_ball = (size - self.config.eps).clamp_min(0)
        if self.minimum_norm:
            outside_ball = torch.zeros_like(outside_ball)
        flat = x_adv.flatten(1)
        outside_box = torch.maximum((-flat).amax(1), (flat - 1).amax(1)).clamp_min(0)
        return torch.maximum(outside_ball, outside_box)

    def run(self, model: ModelAdapter, data: TensorData, batch_size: int = 256) -> EvasionResult:
        """Attack ``data`` and measure the result."""
        x, y = data.x, data.y
        self.reset_stats()
        start = time.perf_counter()
        x_adv, target = self.generate(model, x, y, batch_size)
        seconds = time.perf_counter() - start
        clean_pred = model.predict(x, batch_size=batch_size)
        adv_pred = model.predict(x_adv, batch_size=batch_size)
        clean_ok = clean_pred == y
        robust_ok = adv_pred == y
        if target is None:
            success = (adv_pred != y)[clean_ok]
        else:
            eligible = clean_ok & (target != y)
            success = (adv_pred == target)[eligible]
        violation = self.violation(x, x_adv)
        extra = self.stats()
        if self.minimum_norm:
            delta = (x_adv - x).flatten(1)
            size = delta.abs().amax(1) if self.config.norm == "linf" else delta.norm(dim=1)
            robust_at_eps = clean_ok & (robust_ok | (size > self.config.eps + BOUND_TOLERANCE))
            extra["accuracy_at_eps"] = rate_of(robust_at_eps).to_dict()
        per_class = {
            str(c): float(robust_ok[y == c].float().mean().item()) for c in torch.unique(y).tolist()
        }
        return EvasionResult(
            attack=type(self).plugin_name,
            params=self.config.model_dump(mode="json"),
            n=len(x),
            clean_accuracy=rate_of(clean_ok),
            robust_accuracy=rate_of(robust_ok),
            attack_success_rate=rate_of(success),
            norms=norm_summary(x_adv - x),
            max_violation=float(violation.max().item()) if len(x) else 0.0,
            within_bounds=bool((violation <= BOUND_TOLERANCE).all().item()),
            seconds=seconds,
            images_per_second=len(x) / seconds if seconds > 0 else float("inf"),
            per_class_robust_accuracy=per_class,
            extra=extra,
            examples=x_adv,
        )
