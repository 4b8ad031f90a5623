"""Shared machinery of model inversion: start images, timing, queries, independent evaluation.

A plugin subclasses :class:`InversionAttack` and implements :meth:`InversionAttack.invert`:
turn start images into representatives of their target classes using only the Oracle. The
base measures the reconstructions the way the model-inversion literature does, with a
classifier the attack never saw:

* an **evaluation classifier**, trained independently (own initialisation, on the population
  data, not on the target's training set) through the one training loop and cached in the
  store, classifies every reconstruction; its accuracy (Wilson 95% CI) is compared with its
  accuracy on the *start* images labelled with the same target classes — the control that says
  how much of the "success" the starting point alone explains;
* the L2 distance of each reconstruction to the mean image of its class among the target's
  members, to the nearest other class mean, and how often its own class mean is the nearest
  (again beside the start images);
* the target's own confidence in the target class (through an uncounted measurement oracle).
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import torch
from pydantic import Field
from torch import Tensor

from safedl.attacks.privacy.shadows import reinitialise
from safedl.attacks.privacy.target import PrivacyTarget
from safedl.evaluation.metrics import Rate, rate_of
from safedl.models import ModelAdapter, Oracle, OracleFactory, QueryBudgetExceeded
from safedl.registry import PluginConfig
from safedl.training import train_or_load


class InversionConfig(PluginConfig):
    """Parameters every inversion attack shares."""

    classes: list[int] | None = Field(None, description="Classes to invert; all when unset.")
    per_class: int = Field(1, ge=1, le=100, description="Reconstructions per class.")
    start: Literal["zeros", "gray", "noise", "population_mean"] = Field(
        "zeros", description="Start image: black (Fredrikson et al.), gray, noise or data mean."
    )


@dataclass
class InversionResult:
    """Reconstructions of class representatives and how recognisable they are."""

    attack: str
    params: dict[str, Any]
    queries: int
    seconds: float
    status: str = "done"
    family: str = "privacy"
    note: str = ""
    model_id: str = ""
    evaluator_accuracy: Rate | None = None
    control_accuracy: Rate | None = None
    evaluator_clean_accuracy: float | None = None
    target_confidence: float | None = None
    distances: dict[str, float] = field(default_factory=dict)
    nearest_mean_accuracy: Rate | None = None
    control_nearest_mean_accuracy: Rate | None = None
    per_class: dict[str, dict[str, Any]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    #: ``[M, C, H, W]`` reconstructions, their start images and target classes (not serialised).
    images: Tensor | None = field(default=None, repr=False)
    starts: Tensor | None = field(default=None, repr=False)
    targets: Tensor | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable entry for the run record."""

        def r(v: Rate | None) -> dict[str, Any] | None:
            return v.to_dict() if v is not None else None

        return {
            "family": self.family,
            "attack": self.attack,
            "params": self.params,
            "status": self.status,
            "note": self.note,
            "model_id": self.model_id,
            "queries": self.queries,
            "seconds": self.seconds,
            "evaluator_accuracy": r(self.evaluator_accuracy),
            "control_accuracy": r(self.control_accuracy),
            "evaluator_clean_accuracy": self.evaluator_clean_accuracy,
            "target_confidence": self.target_confidence,
            "distances": self.distances,
            "nearest_mean_accuracy": r(self.nearest_mean_accuracy),
            "control_nearest_mean_accuracy": r(self.control_nearest_mean_accuracy),
            "per_class": self.per_class,
            "extra": self.extra,
        }


def train_evaluator(target: PrivacyTarget) -> tuple[ModelAdapter, float]:
    """The independent evaluation classifier (cached) and its accuracy on the non-members."""
    model = target.new_model()
    seed = target.seed * 1_000 + 991
    reinitialise(model.module, seed)
    spec = {"role": "inversion-evaluator", "model": target.model_spec}
    train_or_load(
        target.store,
        model,
        target.population,
        target.val,
        target.training,
        seed=seed,
        spec=spec,
        description="inversion evaluator",
    )
    return model, model.accuracy(target.non_members.x, target.non_members.y)


def class_means(target: PrivacyTarget, num_classes: int) -> Tensor:
    """``[K, C, H, W]`` mean member image per class (zeros for a class without members)."""
    x, y = target.members.x, target.members.y
    sums = torch.zeros(num_classes, *x.shape[1:]).index_add_(0, y, x)
    counts = torch.bincount(y, minlength=num_classes).clamp_min(1).view(-1, 1, 1, 1)
    return sums / counts


def _distances(images: Tensor, targets: Tensor, means: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    d = torch.cdist(images.flatten(1), means.flatten(1))  # [M, K]
    own = d.gather(1, targets.view(-1, 1)).squeeze(1)
    other = d.scatter(1, targets.view(-1, 1), float("inf")).amin(1)
    return own, other, d.argmin(1) == targets


def _name(target: PrivacyTarget, c: int) -> str:
    names = target.classes
    return names[c] if names is not None and c < len(names) else str(c)


class InversionAttack(ABC):
    """Base class of model inversion attacks: one method, :meth:`invert`."""

    Config: ClassVar[type[InversionConfig]] = InversionConfig
    plugin_name: ClassVar[str] = "inversion"
    accepted_access: ClassVar[tuple[str, ...]] = ("scores",)

    def __init__(self, config: InversionConfig, *, seed: int = 0) -> None:
        self.config = config
        self.seed = seed
        self.generator = torch.Generator().manual_seed(seed)
        self.extra: dict[str, Any] = {}

    @property
    def params(self) -> dict[str, Any]:
        return self.config.model_dump(mode="json")

    @abstractmethod
    def invert(self, oracle: Oracle, start: Tensor, targets: Tensor) -> Tensor:
        """Reconstructions ``[M, C, H, W]`` in [0, 1] of classes ``targets`` from ``start``."""

    def start_images(self, target: PrivacyTarget, m: int) -> Tensor:
        """``m`` start images of the configured kind."""
        shape = target.members.x.shape[1:]
        kind = self.config.start
        if kind == "zeros":
            return torch.zeros(m, *shape)
        if kind == "gray":
            return torch.full((m, *shape), 0.5)
        if kind == "noise":
            return torch.rand((m, *shape), generator=self.generator)
        return target.population.x.mean(0, keepdim=True).expand(m, *shape).clone()

    def run(
        self, oracles: OracleFactory, target: PrivacyTarget, evaluator: ModelAdapter | None = None
    ) -> InversionResult:
        """Invert the model behind ``oracles`` and evaluate the reconstructions."""
        oracle = oracles(output="probs", budget=target.query_budget)
        k = oracle.num_classes
        base: dict[str, Any] = {
            "attack": self.plugin_name,
            "params": self.params,
            "model_id": target.target_id,
        }
        if oracle.output == "label":
            return InversionResult(
                **base,
                queries=0,
                seconds=0.0,
                status="not_applicable",
                note=f"{self.plugin_name} needs confidence scores; the model answers labels only",
            )
        classes = self.config.classes if self.config.classes is not None else list(range(k))
        targets = torch.tensor(classes, dtype=torch.long).repeat_interleave(self.config.per_class)
        self.generator.manual_seed(self.seed)
        starts = self.start_images(target, len(targets))
        begin = time.perf_counter()
        try:
            images = self.invert(oracle, starts.clone(), targets).detach().cpu().clamp(0, 1)
        except QueryBudgetExceeded as exc:
            return InversionResult(
                **base,
                queries=oracle.queries,
                seconds=time.perf_counter() - begin,
                status="over_budget",
                note=str(exc),
            )
        seconds = time.perf_counter() - begin
        clean_acc = None
        if evaluator is None:
            evaluator, clean_acc = train_evaluator(target)
        hit = evaluator.predict(images) == targets
        control = evaluator.predict(starts) == targets
        means = class_means(target, k)
        own, other, nearest = _distances(images, targets, means)
        s_own, s_other, s_nearest = _distances(starts, targets, means)
        measure = oracles(output="probs", budget=None)
        conf = measure(images).gather(1, targets.view(-1, 1)).squeeze(1)
        per_class = {
            _name(target, c): {
                "class": c,
                "evaluator_hit": float(hit[targets == c].double().mean()),
                "target_confidence": float(conf[targets == c].double().mean()),
                "distance_to_class_mean": float(own[targets == c].mean()),
            }
            for c in classes
        }
        return InversionResult(
            **base,
            queries=oracle.queries,
            seconds=seconds,
            evaluator_accuracy=rate_of(hit),
            control_accuracy=rate_of(control),
            evaluator_clean_accuracy=clean_acc,
            target_confidence=float(conf.double().mean()),
            distances={
                "to_own_class_mean": float(own.mean()),
                "to_nearest_other_mean": float(other.mean()),
                "start_to_own_class_mean": float(s_own.mean()),
                "start_to_nearest_other_mean": float(s_other.mean()),
            },
            nearest_mean_accuracy=rate_of(nearest),
            control_nearest_mean_accuracy=rate_of(s_nearest),
            per_class=per_class,
            extra=dict(self.extra),
            images=images,
            starts=starts,
            targets=targets,
        )


__all__ = [
    "InversionAttack",
    "InversionConfig",
    "InversionResult",
    "class_means",
    "train_evaluator",
]
