"""Adaptive attacks: what a gradient attacker attacks when the model under test is defended.

Paper: Athalye, Carlini, Wagner, "Obfuscated Gradients Give a False Sense of Security",
ICML 2018 (BPDA, EOT); Tramèr, Carlini, Brendel, Madry, "On Adaptive Attacks to Adversarial
Example Defenses", NeurIPS 2020.

A defense declares what an adaptive attacker must know (``defended.adaptive``); this module
turns the defended model into the **attack view** that any registered white-box attack runs on
unchanged (it is a :class:`~safedl.models.ModelAdapter`):

* non-differentiable (``differentiable: false``) → BPDA: the defense's ``bpda_model``, whose
  forward pass is the real model's and whose backward pass goes straight through (or through a
  differentiable approximation of) the non-differentiable step;
* randomised (``randomized: true``) → EOT: :func:`eot_view` averages the softmax over at least
  :data:`MIN_EOT_SAMPLES` (20) independent draws of the model per forward pass, so gradients are
  those of the expected output;
* both → EOT over the BPDA model; neither → the defended model itself.

:func:`adaptive_run` attacks the view and scores the adversarial examples on the **real**
defended model (``defended.model``), against the true labels — never on the view, never on
predicted labels — so the two classic BPDA mistakes cannot happen. Black-box attacks query the
deployed model itself. The result reports what the view believed beside what the real model
does, and flags an unreliable evaluation (a view whose forward pass disagrees with the model,
examples that do not carry over, gradients that are zero even through the view, few steps).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.checkpoint import checkpoint

from safedl.data import TensorData
from safedl.evaluation.metrics import Rate, norm_summary, rate_of
from safedl.models import ModelAdapter
from safedl.registry import ATTACKS

#: Fewest draws an EOT gradient averages (AutoAttack's ``rand`` version uses 20).
MIN_EOT_SAMPLES = 20
#: Gradient steps below which BPDA / EOT results are flagged (they converge more slowly).
MIN_ADAPTIVE_STEPS = 50


class NeedsLike(Protocol):
    """What :func:`attack_view` reads of a defense's ``AdaptiveNeeds``."""

    @property
    def differentiable(self) -> bool: ...
    @property
    def randomized(self) -> bool: ...
    @property
    def eot_samples(self) -> int: ...


class DefendedLike(Protocol):
    """What this module reads of a ``DefendedModel`` (see :mod:`safedl.defenses.base`)."""

    @property
    def defense(self) -> str: ...
    @property
    def model(self) -> ModelAdapter: ...
    @property
    def bpda_model(self) -> ModelAdapter | None: ...
    @property
    def adaptive(self) -> NeedsLike: ...


class AttackLike(Protocol):
    """A registered evasion attack: ``run(model, data, batch_size=...)`` with ``.examples``."""

    config: Any
    plugin_name: str

    def run(self, model: ModelAdapter, data: TensorData, batch_size: int = ...) -> Any: ...


class EOTModule(nn.Module):
    """Log of the mean softmax of ``inner`` over ``samples`` random draws (one forward pass).

    Args:
        inner: A randomised module (its randomness is drawn anew on every call).
        samples: Draws averaged.
        max_batch: Images per pass of ``inner``; above it the draws are split into passes,
            each recomputed in the backward pass (activation checkpointing, with the random
            state restored so the recomputation sees the same draws), which bounds memory.
    """

    def __init__(self, inner: nn.Module, samples: int, max_batch: int = 8192) -> None:
        super().__init__()
        if samples < 1:
            raise ValueError(f"EOT needs at least one sample, got {samples}")
        self.inner, self.samples, self.max_batch = inner, samples, max_batch

    def _draws(self, x: torch.Tensor, m: int) -> torch.Tensor:
        out = F.log_softmax(self.inner(x.repeat(m, 1, 1, 1)), dim=1)
        return torch.logsumexp(out.view(m, len(x), -1), dim=0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        per_pass = max(1, min(self.samples, self.max_batch // max(len(x), 1)))
        parts: list[torch.Tensor] = []
        for done in range(0, self.samples, per_pass):
            m = min(per_pass, self.samples - done)
            if per_pass < self.samples and torch.is_grad_enabled():
                parts.append(checkpoint(self._draws, x, m, use_reentrant=False))
            else:
                parts.append(self._draws(x, m))
        return torch.logsumexp(torch.stack(parts), dim=0) - math.log(self.samples)

    def extra_repr(self) -> str:
        return f"samples={self.samples}"


def eot_view(model: ModelAdapter, samples: int = MIN_EOT_SAMPLES) -> ModelAdapter:
    """``model`` seen through EOT: each forward pass averages ``samples`` draws."""
    return ModelAdapter(
        EOTModule(model.module, samples),
        input_shape=model.input_shape,
        num_classes=model.num_classes,
        normalization=model.normalization,
        device=model.device,
    )


def attack_view(defended: DefendedLike) -> tuple[ModelAdapter, str]:
    """The model a white-box adaptive attacker attacks, and its name (see the module doc).

    Raises:
        ValueError: The defense declares itself non-differentiable but gave no BPDA model.
    """
    needs = defended.adaptive
    view, name = defended.model, "plain"
    if not needs.differentiable:
        if defended.bpda_model is None:
            raise ValueError(
                f"defense {defended.defense!r} declares a non-differentiable model but provides "
                "no bpda_model; gradient attacks on it would only measure gradient masking"
            )
        view, name = defended.bpda_model, "bpda"
    if needs.randomized:
        samples = max(needs.eot_samples, MIN_EOT_SAMPLES)
        view = eot_view(view, samples)
        name = f"eot-{samples}" if name == "plain" else f"bpda+eot-{samples}"
    return view, name


@dataclass
class AdaptiveResult:
    """An attack run on a defense's attack view, scored on the real defended model.

    ``robust_accuracy`` counts an example as robust when the defended model classifies both the
    clean image and the adversarial one correctly (true labels). ``view_robust_accuracy`` is
    what the attack measured on the view. ``zero_gradient_share`` / ``view_zero_gradient_share``
    are the shares of examples whose input gradient is exactly zero through the plain defended
    model and through the view (gradient masking shows as 1.0 and 0.0).
    """

    attack: str
    params: dict[str, Any]
    defense: str
    view: str
    n: int
    clean_accuracy: Rate
    robust_accuracy: Rate
    attack_success_rate: Rate
    view_robust_accuracy: Rate
    forward_agreement: Rate
    zero_gradient_share: float
    view_zero_gradient_share: float
    norms: dict[str, dict[str, float]]
    seconds: float
    flags: list[str] = field(default_factory=list)
    examples: torch.Tensor | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "examples"}
        for key, value in out.items():
            if isinstance(value, Rate):
                out[key] = value.to_dict()
        return out


def _zero_gradient_share(model: ModelAdapter, x: torch.Tensor, y: torch.Tensor) -> float:
    with model.attack_mode():
        z = x.to(model.device).requires_grad_(True)
        loss = F.cross_entropy(model.logits(z), y.to(model.device), reduction="sum")
        if not loss.requires_grad:
            return 1.0
        (grad,) = torch.autograd.grad(loss, z, allow_unused=True)
    if grad is None:
        return 1.0
    return float((grad.flatten(1).abs().amax(1) == 0).float().mean().item())


@contextmanager
def _seeded(seed: int, device: torch.device) -> Iterator[None]:
    """Seed the global generators for the block, then restore the caller's random state."""
    devices = [device] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


def adaptive_run(
    attack: AttackLike,
    defended: DefendedLike,
    data: TensorData,
    *,
    batch_size: int = 256,
    seed: int = 0,
    probe: int = 64,
) -> AdaptiveResult:
    """Attack ``defended``'s attack view with ``attack``; score on ``defended.model``.

    Args:
        attack: A registered evasion attack (``ATTACKS.create(name, params, seed=...)``).
        defended: What a defense returned.
        data: Test images and their true labels.
        batch_size: Batch size of the attack (EOT multiplies the images per pass by its
            samples; passes are capped and checkpointed, see :class:`EOTModule`).
        seed: Seed of the defenses' own randomness during the attack and the scoring.
        probe: Examples used for the gradient and forward-agreement diagnostics.
    """
    name = getattr(attack, "plugin_name", type(attack).__name__)
    white_box = name in ATTACKS and ATTACKS.get(name).access == "white-box"
    real = defended.model
    view, view_name = attack_view(defended) if white_box else (real, "deployed")
    device = real.device
    start = time.perf_counter()
    with _seeded(seed, device):
        result = attack.run(view, data, batch_size=batch_size)
    seconds = time.perf_counter() - start
    x_adv = result.examples
    if x_adv is None:
        raise ValueError(f"attack {name!r} returned no adversarial examples to score")
    with _seeded(seed + 1, device):
        clean_ok = real.predict(data.x, batch_size=batch_size) == data.y
        adv_ok = real.predict(x_adv, batch_size=batch_size) == data.y
    with _seeded(seed + 2, device):
        xp, yp = data.x[:probe], data.y[:probe]
        agree = real.predict(xp, batch_size=batch_size) == view.predict(xp, batch_size=batch_size)
        zero_plain = _zero_gradient_share(real, xp, yp)
        zero_view = _zero_gradient_share(view, xp, yp) if view is not real else zero_plain
    robust_ok = clean_ok & adv_ok
    view_robust: Rate = result.robust_accuracy
    flags = []
    if view is not real and not defended.adaptive.randomized and not bool(agree.all()):
        flags.append("the attack view's predictions differ from the defended model's on clean data")
    if view_robust.value + 0.1 < rate_of(robust_ok).value:
        flags.append("adversarial examples found on the attack view do not carry over to the model")
    if zero_view > 0.5:
        flags.append("input gradients are zero for most examples even through the attack view")
    steps = getattr(attack.config, "steps", None)
    if view_name not in ("plain", "deployed") and steps is not None and steps < MIN_ADAPTIVE_STEPS:
        flags.append(f"{steps} steps through {view_name}: use at least {MIN_ADAPTIVE_STEPS}")
    clean_rate = rate_of(clean_ok)
    return AdaptiveResult(
        attack=name,
        params=attack.config.model_dump(mode="json"),
        defense=defended.defense,
        view=view_name,
        n=len(data),
        clean_accuracy=clean_rate,
        robust_accuracy=rate_of(robust_ok),
        attack_success_rate=rate_of(~adv_ok[clean_ok]),
        view_robust_accuracy=view_robust,
        forward_agreement=rate_of(agree),
        zero_gradient_share=zero_plain,
        view_zero_gradient_share=zero_view,
        norms=norm_summary(x_adv - data.x),
        seconds=seconds,
        flags=flags,
        examples=x_adv,
    )


__all__ = [
    "MIN_ADAPTIVE_STEPS",
    "MIN_EOT_SAMPLES",
    "AdaptiveResult",
    "DefendedLike",
    "EOTModule",
    "adaptive_run",
    "attack_view",
    "eot_view",
]
