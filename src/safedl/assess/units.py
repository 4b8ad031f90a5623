"""A unit of work of the assessment service, and the settings every unit runs with."""

from __future__ import annotations

from dataclasses import dataclass, field

from safedl.assess.target import ModelUnderTest
from safedl.config.profile import PluginSpec
from safedl.data import TensorData
from safedl.executor import Executor, SequentialExecutor
from safedl.store import ArtifactStore
from safedl.threat.scope import ScopeVerdict


@dataclass
class AssessSettings:
    """How units run: where results go, the seed, batch size and the executor."""

    store: ArtifactStore
    seed: int = 0
    batch_size: int = 256
    #: Adversarial examples kept per evasion unit (plots, later stages).
    keep_examples: int = 64
    executor: Executor = field(default_factory=SequentialExecutor)


@dataclass(frozen=True)
class AttackRequest:
    """One attack of a plan, optionally adaptive: run on a view of the model, scored on it.

    Attributes:
        spec: The attack and its parameters.
        view: Name of a view in ``ModelUnderTest.views`` that the attack computes its
            examples on (BPDA through a non-differentiable step, EOT over randomness, the
            undefended baseline for transfer); the examples are always scored on the model
            under test itself, against the true labels.
        adaptive: Why an adaptive attack was chosen (empty for the plan's own attacks).
    """

    spec: PluginSpec
    view: str | None = None
    adaptive: str = ""


@dataclass
class Unit:
    """One attack on one model: everything a worker needs, and the key it is stored under."""

    key: str
    spec: PluginSpec
    target: ModelUnderTest
    data: TensorData
    settings: AssessSettings
    scope: ScopeVerdict
    view: str | None = None
    adaptive: str = ""


__all__ = ["AssessSettings", "AttackRequest", "Unit"]
