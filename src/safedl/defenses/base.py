"""Shared base of defenses: what a defense gets, what it must declare and what it returns.

A defense is a registered plugin (``@DEFENSES.register(name, family=KIND, access=...)``) that
subclasses :class:`Defense`, carries a typed ``Config`` and implements one method,
:meth:`Defense.apply`. It acts at one place (its ``kind``): ``training`` (adversarial training,
DP-SGD, noise training), ``data`` (filter the training set before training), ``repair`` (prune,
fine-tune, unlearn a trained model), ``input`` (preprocess each input), ``output`` (round or
truncate what is returned) or ``detector`` (flag inputs or clients).

It returns a :class:`DefendedModel`: the defended model as an ordinary
:class:`~safedl.models.ModelAdapter` (an input transformation is part of its module, so every
attack sees exactly what a user of the deployed model would), its content id, the artifact it
stored (weights in safetensors, a detector's calibrated state) and its measured cost. The
defense also declares, in :class:`AdaptiveNeeds`, what an adaptive attacker must know about it
(non-differentiable, randomised, a detector in front, a transformed output); the re-evaluation
picks BPDA, EOT, joint or label-only attacks from that declaration, so no defense is scored only
by the attack it was built against.

Artifacts are stored by content hash (:func:`defense_key`) of the defense, its parameters, the
seed and the baseline it started from, so a re-run reuses them and a killed run resumes
mid-defense (training defenses go through :func:`safedl.training.train_or_load`, which
checkpoints every epoch).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import torch

from safedl.config.profile import TrainingConfig
from safedl.data import DataSplits, TensorData
from safedl.models import ModelAdapter, OracleFactory
from safedl.registry import PluginConfig
from safedl.store import ArtifactStore, content_key

DefenseKind = Literal["training", "data", "repair", "input", "output", "detector"]
DEFENSE_KINDS: tuple[str, ...] = ("training", "data", "repair", "input", "output", "detector")


@dataclass(frozen=True)
class AdaptiveNeeds:
    """What an adaptive attacker must know about a defense (Tramèr et al., 2020).

    Attributes:
        differentiable: False when the defended model contains a non-differentiable step
            (quantisation, JPEG, median filter): gradient attacks must use BPDA through it.
        randomized: True when the defended model's output is random (noise, random
            transformations): gradient attacks must use EOT over ``eot_samples`` draws.
        eot_samples: Draws averaged per gradient by EOT (at least 20, as AutoAttack's
            ``rand`` version).
        detector: True when a detector sits in front of the model: attacks must evade it and
            the model jointly.
        output: What the deployed model returns when an output defense changes it
            (``"label"``, ``"topk"``, ``"rounded"``); score-based attacks are then replaced by
            label-only ones.
    """

    differentiable: bool = True
    randomized: bool = False
    eot_samples: int = 20
    detector: bool = False
    output: Literal["scores", "label", "topk", "rounded"] = "scores"


@dataclass
class DefenseContext:
    """Everything a defense may use. Built by the pipeline (or ``safedl defend``) once.

    Attributes:
        baseline: The undefended model (white-box; do not modify it in place — copy first).
        baseline_id: Its content id (:func:`safedl.models.model_fingerprint`).
        splits: Train / validation / test data the baseline was trained and tested on.
        training: The baseline's training settings (a training defense starts from them).
        new_model: Builds a fresh, identically seeded model of the baseline's architecture and
            normalisation (no weights), on the context's device.
        model_spec: JSON description of the architecture, for content keys.
        store: Where defended artifacts are stored by content hash.
        seed: Seed of the run.
        device: Where models run.
        batch_size: Batch size for inference and attacks.
        train_data: The training set the deployed model is trained on when it differs from
            ``splits.train`` (a poisoned training set, for data and training-time defenses
            against poisoning); ``None`` means ``splits.train``.
        poison_indices: Ground truth of which ``train_data`` samples were poisoned, when known
            (for scoring data filters; a defense must never use it to decide).
        baseline_train_seconds: Wall time the baseline took to train, when known (reported
            beside a defense's training time in its :class:`DefenseCost`).
    """

    baseline: ModelAdapter
    baseline_id: str
    splits: DataSplits
    training: TrainingConfig
    new_model: Callable[[], ModelAdapter]
    model_spec: dict[str, Any]
    store: ArtifactStore
    seed: int
    device: torch.device
    batch_size: int = 256
    train_data: TensorData | None = None
    poison_indices: torch.Tensor | None = None
    baseline_train_seconds: float | None = None

    @property
    def training_set(self) -> TensorData:
        """The training set the defended model learns from."""
        return self.train_data if self.train_data is not None else self.splits.train


@dataclass
class DefenseCost:
    """Measured cost of a defense, each figure beside the baseline's (never a lookup table).

    Attributes:
        train_seconds: Wall time the defense spent building its artifact (training, fitting,
            calibrating) in this run, 0 when it was reused from the store.
        baseline_train_seconds: The baseline's training time, when known.
        latency_ms: Inference time per image of the defended model (median of repeated
            batched passes).
        baseline_latency_ms: The same for the baseline, measured the same way.
        extra_memory_mb: Extra memory of the defended model over the baseline (parameters,
            buffers, detector state), in MiB.
        reused: The artifact came from the store (its original training time is in
            ``train_seconds_original``).
    """

    train_seconds: float
    latency_ms: float
    baseline_latency_ms: float
    baseline_train_seconds: float | None = None
    extra_memory_mb: float = 0.0
    reused: bool = False
    train_seconds_original: float | None = None

    @property
    def latency_ratio(self) -> float:
        return self.latency_ms / self.baseline_latency_ms if self.baseline_latency_ms else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "train_seconds": self.train_seconds,
            "baseline_train_seconds": self.baseline_train_seconds,
            "train_seconds_original": self.train_seconds_original,
            "latency_ms": self.latency_ms,
            "baseline_latency_ms": self.baseline_latency_ms,
            "latency_ratio": self.latency_ratio,
            "extra_memory_mb": self.extra_memory_mb,
            "reused": self.reused,
        }


@dataclass
class DefendedModel:
    """What a defense produced.

    Attributes:
        defense: Registered name of the defense.
        kind: Where it acts (:data:`DEFENSE_KINDS`).
        params: Its validated parameters.
        model: The defended model as a white-box adapter (input transformations included in
            its module; for an output defense, the unchanged model — see ``adaptive.output``).
        model_id: Content id of the defended model (:func:`safedl.models.model_fingerprint`
            of ``model``, or of the artifact that determines it).
        adaptive: What an adaptive attacker must know (copied from the defense's declaration,
            possibly refined by its parameters).
        artifact: Store key of the defended artifact, when one was stored.
        cost: Measured cost.
        metrics: Defense-specific figures (certified accuracy, detection precision and recall,
            anomaly indices, (ε, δ), ...), JSON-serialisable, rates with their 95% CIs.
        bpda_model: For a non-differentiable defense, the same model with its
            non-differentiable steps replaced by a differentiable approximation in the
            backward pass only (BPDA); forward outputs equal ``model``'s.
        oracles: What a black-box attacker of the deployed model gets, when an output defense
            changes it (top-1, rounded scores); None means the model's own Oracles.
    """

    defense: str
    kind: str
    params: dict[str, Any]
    model: ModelAdapter
    model_id: str
    adaptive: AdaptiveNeeds
    cost: DefenseCost
    artifact: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    bpda_model: ModelAdapter | None = None
    oracles: OracleFactory | None = None


class Defense(ABC):
    """Base class of every defense plugin: one method, :meth:`apply`."""

    Config: ClassVar[type[PluginConfig]] = PluginConfig
    plugin_name: ClassVar[str] = "defense"
    #: Where the defense acts.
    kind: ClassVar[DefenseKind]
    #: What an adaptive attacker must know about this defense (see :class:`AdaptiveNeeds`).
    adaptive: ClassVar[AdaptiveNeeds] = AdaptiveNeeds()
    #: Attack families the defense answers (``evasion``, ``poisoning``, ``backdoor``,
    #: ``privacy``, ``extraction``). A run measures a poisoning or backdoor defense against
    #: its poisoned victims instead of applying it to the clean baseline.
    answers: ClassVar[tuple[str, ...]] = ("evasion",)
    #: Attacks, beyond the evasion budget, that test what the defense claims to stop, as
    #: ``(attack name, params)``: applied alone (``safedl defend``) it is re-evaluated by them.
    evaluated_by: ClassVar[tuple[tuple[str, dict[str, Any]], ...]] = ()

    def __init__(self, config: PluginConfig, *, seed: int = 0) -> None:
        self.config = config
        self.seed = seed

    @property
    def params(self) -> dict[str, Any]:
        return self.config.model_dump(mode="json")

    def key(self, ctx: DefenseContext, **extra: Any) -> str:
        """Content key of this defense's artifact in ``ctx`` (see :func:`defense_key`)."""
        return defense_key(self.plugin_name, self.params, ctx, **extra)

    @abstractmethod
    def apply(self, ctx: DefenseContext) -> DefendedModel:
        """Build (or load from ``ctx.store``) the defended model and measure its cost."""


def defense_key(name: str, params: dict[str, Any], ctx: DefenseContext, **extra: Any) -> str:
    """``defense-<hash>`` of the defense, its params, the seed, the baseline and the data."""
    return content_key(
        "defense",
        {
            "defense": name,
            "params": params,
            "seed": ctx.seed,
            "baseline": ctx.baseline_id,
            "train": ctx.training_set.fingerprint(),
            **extra,
        },
    )


__all__ = [
    "DEFENSE_KINDS",
    "AdaptiveNeeds",
    "DefendedModel",
    "Defense",
    "DefenseContext",
    "DefenseCost",
    "DefenseKind",
    "defense_key",
]
