"""What one call of an evasion attack holds and returns: its per-call state and its result.

:class:`AttackRun` is everything a call may change while it runs (so attacks keep no state
between calls); :class:`Examples` is what it produced before measurement; :class:`EvasionResult`
the measured metrics.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

from safedl.evaluation.metrics import Rate
from safedl.models import OracleFactory


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
    examples: Tensor | None = field(default=None, repr=False)
    #: Tensors the attack produced besides the examples (a universal patch); not serialised.
    tensors: dict[str, Tensor] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        skip = ("examples", "tensors")
        out = {k: getattr(self, k) for k in self.__dataclass_fields__ if k not in skip}
        for key in ("clean_accuracy", "robust_accuracy", "attack_success_rate"):
            out[key] = getattr(self, key).to_dict()
        return out


@dataclass
class AttackRun:
    """The state of one call of an attack: everything the call may change while it runs.

    Attributes:
        generator: The source of all randomness of the call, seeded with the attack's seed.
        num_classes: Classes of the model under attack.
        device: Where the batches are put.
        batch_size: Examples per batch.
        oracles: The Oracle factory of the model under attack; composite attacks hand it to
            their black-box parts. ``None`` for black-box attacks, which get their Oracle only.
        stats: Attack-specific figures for ``result.extra`` (JSON-serialisable).
        tensors: Tensors worth keeping (a trained patch) for ``result.tensors``.
        prepared: What :meth:`EvasionAttack.prepare` returned.
        batch: Positions of the current batch in the attacked data.
    """

    generator: torch.Generator
    num_classes: int
    device: torch.device
    batch_size: int
    oracles: OracleFactory | None = None
    stats: dict[str, Any] = field(default_factory=dict)
    tensors: dict[str, Tensor] = field(default_factory=dict)
    prepared: Any = None
    batch: slice = field(default_factory=lambda: slice(0, 0))
    _gathered: dict[str, list[Tensor]] = field(default_factory=dict, repr=False)

    def gather(self, name: str, values: Tensor) -> None:
        """Keep per-batch ``values`` (e.g. one figure per example) for :meth:`gathered`."""
        self._gathered.setdefault(name, []).append(values.detach().cpu())

    def gathered(self, name: str) -> Tensor:
        """Everything :meth:`gather` kept under ``name``, concatenated (empty if nothing)."""
        parts = self._gathered.get(name, [])
        return torch.cat(parts) if parts else torch.zeros(0)


@dataclass
class Examples:
    """What one call of :meth:`EvasionAttack.examples` produced, before measurement.

    Attributes:
        adversarial: The adversarial examples, on CPU, in the order of the input.
        target: The target class of each example for a targeted attack, else ``None``.
        extra: Attack-specific figures (goes to ``EvasionResult.extra``).
        tensors: Tensors the attack produced besides the examples.
    """

    adversarial: Tensor
    target: Tensor | None
    extra: dict[str, Any]
    tensors: dict[str, Tensor]


__all__ = ["AttackRun", "EvasionResult", "Examples"]
