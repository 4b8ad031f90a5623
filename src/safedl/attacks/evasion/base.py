"""Shared machinery of evasion attacks: access, batching, seeding, targets, checks and metrics.

The plugin contract:

* A white-box plugin subclasses ``EvasionAttack[ModelAdapter]`` and implements one method,
  :meth:`EvasionAttack.perturb`, for one batch; it may also implement
  :meth:`EvasionAttack.prepare` (once-per-dataset work: a surrogate, a universal patch) and
  :meth:`EvasionAttack.report` (figures it gathered). A score- or label-based plugin subclasses
  :class:`~safedl.attacks.evasion.blackbox.BlackBoxAttack` instead and only ever receives an
  Oracle.
* :meth:`EvasionAttack.run`, :meth:`EvasionAttack.generate` and :meth:`EvasionAttack.examples`
  are final: a subclass that defines one of them is refused when its class is created.
* Attacks keep no state between calls. Everything one call learns or counts lives in its
  :class:`AttackRun`, handed to ``prepare``, ``perturb`` and ``report`` and dropped afterwards,
  so the same instance run twice, or on two models, gives independent, identical results.

The base grants the access the family allows (the adapter in attack mode — eval, parameter
gradients off — for white-box attacks), splits the data into batches on the model's device,
draws targets for targeted attacks, then measures clean and robust accuracy, success rate
(each with a 95% CI), perturbation norms and speed, and checks that every example lies inside
the ε-ball and [0, 1]. It never clips on the attack's behalf, so the check can catch an attack
that leaves its threat model.
"""

from __future__ import annotations

import contextlib
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, ClassVar, Generic, Literal, TypeVar, cast, final

import torch
from pydantic import Field, model_validator
from torch import Tensor

from safedl.attacks.docs import complete_docstring
from safedl.attacks.evasion.results import AttackRun, EvasionResult, Examples
from safedl.data import TensorData
from safedl.errors import ConfigError, PluginError
from safedl.evaluation.metrics import norm_summary, rate_of
from safedl.models import ModelAdapter, OracleFactory, local_oracles
from safedl.registry import PluginConfig

BOUND_TOLERANCE = 1e-6

#: What a plugin of the family receives: a ModelAdapter (white-box) or an Oracle view.
AccessT = TypeVar("AccessT")


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


class EvasionAttack(ABC, Generic[AccessT]):
    """Base class of evasion attacks; white-box ones receive the ModelAdapter.

    Subclass ``EvasionAttack[ModelAdapter]`` for a white-box attack; score- and label-based
    attacks subclass :class:`~safedl.attacks.evasion.blackbox.BlackBoxAttack`.
    """

    Config: ClassVar[type[EvasionConfig]] = EvasionConfig
    plugin_name: ClassVar[str] = "evasion"
    #: Minimum-norm attacks (C&W, DeepFool) are not bound to the ε-ball: the bounds check then
    #: covers [0, 1] only, and ``eps`` is the budget at which ``accuracy_at_eps`` is reported.
    minimum_norm: ClassVar[bool] = False
    #: The access levels a plugin of this base may declare (checked by the registry).
    accepted_access: ClassVar[tuple[str, ...]] = ("white-box",)
    #: Methods no subclass may define (a subclass adds to its parents' set).
    sealed: ClassVar[frozenset[str]] = frozenset({"run", "generate", "examples"})

    def __init__(self, config: EvasionConfig, *, seed: int = 0) -> None:
        self.config = config
        self.seed = seed

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        sealed = set().union(*(getattr(base, "sealed", ()) for base in cls.__mro__[1:]))
        defined = sorted(name for name in sealed if name in cls.__dict__)
        if defined:
            raise PluginError(
                f"{cls.__module__}.{cls.__qualname__} defines {', '.join(defined)}, which the "
                "base class runs itself",
                hint="implement perturb() for one batch (attack() for black-box attacks) and "
                "prepare() for once-per-dataset work",
            )
        complete_docstring(cls)

    # -- what a plugin implements ---------------------------------------------------------

    def prepare(self, access: AccessT, data: TensorData, run: AttackRun) -> Any:
        """Once-per-dataset work before the batches; the result is ``run.prepared``.

        ``access`` is what :meth:`perturb` gets; ``data`` is everything to be attacked (CPU).
        The default does nothing.
        """
        del access, data, run
        return None

    @abstractmethod
    def perturb(
        self, access: AccessT, x: Tensor, y: Tensor, target: Tensor | None, run: AttackRun
    ) -> Tensor:
        """Return adversarial versions of one batch ``x`` (true labels ``y``).

        ``target`` holds the target classes for a targeted attack, else ``None``. Randomness
        must come from ``run.generator`` so that runs are reproducible.
        """

    def report(self, run: AttackRun) -> dict[str, Any]:
        """Attack-specific figures from what the call gathered in ``run``; default none."""
        del run
        return {}

    # -- what the family base implements ---------------------------------------------------

    def _open(
        self, model: ModelAdapter | None, oracles: OracleFactory | None, n: int, batch_size: int
    ) -> tuple[AccessT, AttackRun]:
        """Grant the access of the family and start the call's state (white-box here)."""
        del n
        if model is None:
            raise ConfigError(
                f"attack {self.plugin_name!r} is white-box: it needs the model itself "
                "(a ModelAdapter), not only query access",
                hint="pass the model, or choose a score- or label-based attack "
                "(safedl attacks list)",
            )
        run = AttackRun(
            generator=torch.Generator(device=model.device).manual_seed(self.seed),
            num_classes=model.num_classes,
            device=model.device,
            batch_size=batch_size,
            oracles=oracles if oracles is not None else local_oracles(model),
        )
        return cast(AccessT, model), run

    def _session(self, access: AccessT) -> AbstractContextManager[object]:
        """The context the attack runs in: attack mode of the adapter (white-box here)."""
        if isinstance(access, ModelAdapter):
            return access.attack_mode()
        return contextlib.nullcontext()

    def _close(self, access: AccessT, run: AttackRun) -> None:
        """Figures the family base reports itself (query counts for black-box attacks)."""
        del access, run

    def _predictor(
        self, model: ModelAdapter | None, oracles: OracleFactory | None, batch_size: int
    ) -> Callable[[Tensor], Tensor]:
        """Labels of a batch for measurement: the adapter's predictions (white-box here)."""
        del oracles
        if model is None:  # already refused by _open; kept for the type checker
            raise ConfigError(f"attack {self.plugin_name!r} needs the model to be measured")
        return lambda x: model.predict(x, batch_size=batch_size)

    def _targets(self, y: Tensor, num_classes: int, gen: torch.Generator) -> Tensor:
        if self.config.target_class is not None:
            if self.config.target_class >= num_classes:
                raise ConfigError(
                    f"target_class {self.config.target_class} is out of range for "
                    f"{num_classes} classes"
                )
            return torch.full_like(y, self.config.target_class)
        shift = torch.randint(1, num_classes, y.shape, generator=gen, device=y.device)
        return (y + shift) % num_classes

    @final
    def examples(
        self,
        model: ModelAdapter | None,
        x: Tensor,
        y: Tensor,
        *,
        batch_size: int = 256,
        oracles: OracleFactory | None = None,
    ) -> Examples:
        """Attack all of ``x`` (true labels ``y``) in batches; the examples and the figures.

        Args:
            model: The model under attack; ``None`` is allowed for black-box attacks given
                ``oracles``.
            x: ``[N, C, H, W]`` images in [0, 1] (CPU).
            y: ``[N]`` true labels.
            batch_size: Examples per batch.
            oracles: Where black-box attacks get their Oracles; default
                :func:`~safedl.models.local_oracles` over ``model``.

        Raises:
            ConfigError: A white-box attack without a model, or a target class out of range.
        """
        access, run = self._open(model, oracles, len(x), batch_size)
        outs, targets = [], []
        with self._session(access):
            run.prepared = self.prepare(access, TensorData(x.cpu(), y.cpu()), run)
            for i in range(0, len(x), batch_size):
                run.batch = slice(i, min(i + batch_size, len(x)))
                xb, yb = x[run.batch].to(run.device), y[run.batch].to(run.device)
                tb = (
                    self._targets(yb, run.num_classes, run.generator)
                    if self.config.targeted
                    else None
                )
                outs.append(self.perturb(access, xb, yb, tb, run).detach().cpu())
                if tb is not None:
                    targets.append(tb.cpu())
        self._close(access, run)
        run.stats.update(self.report(run))
        return Examples(
            torch.cat(outs) if outs else x.clone(),
            torch.cat(targets) if targets else None,
            run.stats,
            run.tensors,
        )

    @final
    def generate(
        self,
        model: ModelAdapter | None,
        x: Tensor,
        y: Tensor,
        batch_size: int = 256,
        *,
        oracles: OracleFactory | None = None,
    ) -> tuple[Tensor, Tensor | None]:
        """Adversarial examples for all of ``x`` (on CPU) and the targets used, if any."""
        out = self.examples(model, x, y, batch_size=batch_size, oracles=oracles)
        return out.adversarial, out.target

    def violation(self, x: Tensor, x_adv: Tensor) -> Tensor:
        """Per-example amount by which ``x_adv`` leaves the ε-ball or [0, 1] (0 when inside)."""
        delta = (x_adv - x).flatten(1)
        size = delta.abs().amax(1) if self.config.norm == "linf" else delta.norm(dim=1)
        outside_ball = (size - self.config.eps).clamp_min(0)
        if self.minimum_norm:
            outside_ball = torch.zeros_like(outside_ball)
        flat = x_adv.flatten(1)
        outside_box = torch.maximum((-flat).amax(1), (flat - 1).amax(1)).clamp_min(0)
        return torch.maximum(outside_ball, outside_box)

    @final
    def run(
        self,
        model: ModelAdapter | None,
        data: TensorData,
        batch_size: int = 256,
        oracles: OracleFactory | None = None,
    ) -> EvasionResult:
        """Attack ``data`` and measure the result.

        Args:
            model: The model under attack. Black-box attacks never touch it when ``oracles``
                is given (it may then be ``None``); white-box attacks need it.
            data: The examples to attack, with their true labels.
            batch_size: Examples per batch.
            oracles: The Oracle factory black-box attacks query; default
                :func:`~safedl.models.local_oracles` over ``model``. Black-box attacks are
                also measured through it (an uncounted label oracle).

        Raises:
            ConfigError: A white-box attack without a model, or neither a model nor oracles.
        """
        x, y = data.x, data.y
        start = time.perf_counter()
        out = self.examples(model, x, y, batch_size=batch_size, oracles=oracles)
        seconds = time.perf_counter() - start
        x_adv, target, extra = out.adversarial, out.target, dict(out.extra)
        predict = self._predictor(model, oracles, batch_size)
        clean_pred, adv_pred = predict(x).cpu(), predict(x_adv).cpu()
        clean_ok = clean_pred == y
        robust_ok = adv_pred == y
        if target is None:
            success = (adv_pred != y)[clean_ok]
        else:
            eligible = clean_ok & (target != y)
            success = (adv_pred == target)[eligible]
        violation = self.violation(x, x_adv)
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
            tensors=out.tensors,
        )


__all__ = [
    "BOUND_TOLERANCE",
    "AttackRun",
    "EvasionAttack",
    "EvasionConfig",
    "EvasionResult",
    "Examples",
]
