"""Shared machinery of poisoning and backdoor attacks: budget, seeding, checks and ground truth.

A plugin subclasses :class:`PoisoningAttack` (or :class:`~safedl.attacks.backdoor.base.
BackdoorAttack`, or :class:`~safedl.attacks.poisoning.clean_label.CleanLabelAttack`) and
implements :meth:`PoisoningAttack.craft` for one training set, plus :meth:`PoisoningAttack.
outcome`, which says what success means for it. The base seeds the attack, times it and checks
what came back: the poisoned set has the clean set's size, every changed sample (image or label)
is listed in ``indices`` — the ground truth a data-filtering defense is scored against — and,
for clean-label attacks, no label changed. It never clips on the attack's behalf: a per-sample
bound violation is measured and reported (``within_bounds``), as for evasion attacks.

Threat: training-data control (the attacker inserts or edits a share ``poison_fraction`` of the
training set); clean-label attacks also use a clean model of the victim's architecture.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import torch
from pydantic import AliasChoices, Field

from safedl.attacks.docs import complete_docstring
from safedl.data import TensorData
from safedl.errors import ConfigError, PluginError
from safedl.models import ModelAdapter
from safedl.registry import PluginConfig

BOUND_TOLERANCE = 1e-6
#: Config fields that describe how the victim learns, not the poisons: left out of the poisoned
#: set's content key, so one poisoned set serves every way of training on it.
VICTIM_FIELDS = frozenset({"victim_training", "fine_tune_epochs"})


class PoisoningConfig(PluginConfig):
    """Parameters every poisoning attack shares."""

    poison_fraction: float = Field(
        0.1,
        ge=0.0,
        le=1.0,
        validation_alias=AliasChoices("poison_fraction", "fraction"),
        description="Poison budget: share of the training set the attacker edits "
        "(alias: fraction).",
    )
    victim_training: Literal["scratch", "fine-tune", "last-layer"] = Field(
        "scratch",
        description="How the victim learns from the poisoned set: 'scratch' trains a fresh "
        "model with the baseline's settings; 'fine-tune' starts from the baseline's weights "
        "and trains fine_tune_epochs more (a deployed model updated on newly collected data); "
        "'last-layer' does the same with every layer but the last nn.Linear frozen (transfer "
        "learning on a fixed feature extractor).",
    )
    fine_tune_epochs: int = Field(
        1,
        ge=1,
        le=1000,
        description="Epochs of training when victim_training is 'fine-tune' or 'last-layer'.",
    )


@dataclass
class PoisonedSet:
    """What a poisoning attack returns.

    Attributes:
        data: The whole poisoned training set (same size and order as the clean one).
        indices: Sorted int64 indices of every sample the attack changed (image or label).
        trigger: Backdoor trigger tensors (e.g. ``mask`` and ``pattern``, or ``grid``), else
            ``None``.
        target_index: Test-set indices the attack aims at (clean-label attacks), else ``None``.
        seconds: Time spent crafting.
        max_violation: Largest amount by which a poison leaves the attack's bound (0 inside).
        within_bounds: Whether every poison respects the bound (and [0, 1]).
        extra: Attack-specific figures (e.g. the final matching loss).
    """

    data: TensorData
    indices: torch.Tensor
    trigger: dict[str, torch.Tensor] | None = None
    target_index: torch.Tensor | None = None
    seconds: float = 0.0
    max_violation: float = 0.0
    within_bounds: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def count(self) -> int:
        """The number of poisoned samples."""
        return int(self.indices.numel())


@dataclass
class AttackOutcome:
    """How a (victim or clean) model behaves on the inputs an attack aims at.

    Attributes:
        success: One boolean per eligible attacked input: the attack's goal was reached.
        correct: One boolean per attacked input: still classified as its true label.
        target_probability: Where the attack aims at one class per input: the model's
            probability of that class for each eligible input (a graded measure of how close
            the attack came), else ``None``.
    """

    success: torch.Tensor
    correct: torch.Tensor
    target_probability: torch.Tensor | None = None


def pick(mask: torch.Tensor, k: int, gen: torch.Generator) -> torch.Tensor:
    """``k`` indices drawn without replacement where ``mask`` is true, sorted (all if fewer)."""
    pool = torch.nonzero(mask).flatten()
    chosen = pool[torch.randperm(len(pool), generator=gen)[: min(k, len(pool))]]
    return chosen.sort().values


def check_class(value: int | None, num_classes: int, name: str) -> None:
    """Raise :class:`ConfigError` when a class parameter is out of range for the data."""
    if value is not None and value >= num_classes:
        raise ConfigError(f"{name} {value} is out of range for {num_classes} classes")


class PoisoningAttack(ABC):
    """Base class of poisoning and backdoor attacks."""

    Config: ClassVar[type[PoisoningConfig]] = PoisoningConfig
    plugin_name: ClassVar[str] = "poisoning"
    #: Labels stay untouched (the base checks it); images stay within ``violation``'s bound.
    clean_label: ClassVar[bool] = False
    #: The attack crafts against a clean model (the poisoned set then depends on it).
    needs_clean_model: ClassVar[bool] = False
    #: The attack aims at test images (the poisoned set then depends on the test split).
    uses_test: ClassVar[bool] = False
    #: The access levels a plugin of this base may declare (checked by the registry).
    accepted_access: ClassVar[tuple[str, ...]] = ("training-data",)

    def __init__(self, config: PoisoningConfig, *, seed: int = 0) -> None:
        self.config = config
        self.seed = seed

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        complete_docstring(cls)

    def budget(self, n: int) -> int:
        """The number of samples the poison budget allows in a training set of ``n``."""
        frac = self.config.poison_fraction
        return 0 if frac <= 0 else max(1, round(frac * n))

    @abstractmethod
    def craft(
        self,
        train: TensorData,
        num_classes: int,
        *,
        generator: torch.Generator,
        clean_model: ModelAdapter | None,
        test: TensorData | None,
    ) -> PoisonedSet:
        """Return the poisoned version of ``train``; randomness only from ``generator``.

        Everything the call produces (the trigger, attack-specific figures in ``extra``)
        goes into the returned set; the attack keeps nothing between calls.
        """

    @abstractmethod
    def outcome(
        self, model: ModelAdapter, test: TensorData, poisoned: PoisonedSet, batch_size: int = 512
    ) -> AttackOutcome:
        """Measure the attack's goal on ``test`` for ``model`` (victim or clean)."""

    def violation(
        self,
        clean: torch.Tensor,
        poisoned: torch.Tensor,
        trigger: dict[str, torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """Per-poison amount outside the attack's bound; here only [0, 1] is enforced.

        ``trigger`` is the poisoned set's trigger (backdoors whose bound leaves its pixels out).
        """
        del trigger
        flat = poisoned.flatten(1)
        if flat.shape[0] == 0:
            return torch.zeros(0)
        return torch.maximum((-flat).amax(1), (flat - 1).amax(1)).clamp_min(0)

    def poison(
        self,
        train: TensorData,
        *,
        num_classes: int | None = None,
        generator: torch.Generator | None = None,
        model_factory: Any = None,
        clean_model: ModelAdapter | None = None,
        test: TensorData | None = None,
    ) -> PoisonedSet:
        """Poison ``train`` and check the result.

        Args:
            train: The clean training set.
            num_classes: Number of classes; default ``max(label) + 1`` of ``train``.
            generator: Source of randomness; default ``torch.Generator`` seeded with the seed.
            model_factory: Reserved for attacks that train their own surrogate models.
            clean_model: A clean model (the baseline) for attacks that craft against one.
            test: The test split, for attacks aimed at test images.

        Raises:
            ConfigError: The attack needs a clean model or test data that was not given.
            PluginError: The attack changed samples it did not list, or labels it must keep.
        """
        del model_factory  # no built-in attack trains a surrogate
        k = num_classes if num_classes is not None else int(train.y.max().item()) + 1
        if self.needs_clean_model and clean_model is None:
            raise ConfigError(f"attack {self.plugin_name!r} needs a clean model to craft poisons")
        if self.uses_test and test is None:
            raise ConfigError(f"attack {self.plugin_name!r} needs the test split (its targets)")
        gen = generator if generator is not None else torch.Generator().manual_seed(self.seed)
        start = time.perf_counter()
        out = self.craft(train, k, generator=gen, clean_model=clean_model, test=test)
        out.seconds = time.perf_counter() - start
        self._check(train, out)
        return out

    def _check(self, train: TensorData, out: PoisonedSet) -> None:
        name = self.plugin_name
        data, idx = out.data, out.indices
        if len(data) != len(train) or data.input_shape != train.input_shape:
            raise PluginError(f"attack {name!r} returned a training set of another size or shape")
        if idx.dtype != torch.int64 or idx.dim() != 1:
            raise PluginError(f"attack {name!r}: indices must be a 1-D int64 tensor")
        if idx.numel() and (
            bool((idx[1:] <= idx[:-1]).any()) or idx[0] < 0 or idx[-1] >= len(train)
        ):
            raise PluginError(f"attack {name!r}: indices must be sorted, unique and in range")
        changed = (data.x != train.x).flatten(1).any(1) | (data.y != train.y)
        changed[idx] = False
        if bool(changed.any()):
            raise PluginError(
                f"attack {name!r} changed {int(changed.sum())} sample(s) it did not list in "
                "its indices; the ground truth of poisoned samples would be wrong"
            )
        if self.clean_label and not torch.equal(data.y, train.y):
            raise PluginError(f"clean-label attack {name!r} changed labels")
        violation = self.violation(train.x[idx], data.x[idx], out.trigger)
        out.max_violation = float(violation.max().item()) + 0.0 if violation.numel() else 0.0
        out.within_bounds = out.max_violation <= BOUND_TOLERANCE


__all__ = [
    "BOUND_TOLERANCE",
    "VICTIM_FIELDS",
    "AttackOutcome",
    "PoisonedSet",
    "PoisoningAttack",
    "PoisoningConfig",
    "check_class",
    "pick",
]
