"""The one way to attack a model: :func:`assess_model`.

The attack stage, ``safedl attack``, :func:`safedl.run_attack` / :func:`safedl.run_attack_spec`
and the re-evaluation of defended models all call it; nothing else orchestrates attacks.

Each (attack, parameters, seed, data, model) is one **unit of work** keyed by content hash.
A unit runs once: its result entry (and, for evasion, the per-example outcome and a few
adversarial examples) is written to the artifact store under its key, so a resumed run, a
later stage or another process finds it there instead of attacking again. Units are
independent and go through an :class:`~safedl.executor.Executor` (sequential by default).
Every entry names the model it was measured on and how it relates to the threat model.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from safedl.assess.evasion import run_evasion
from safedl.assess.poisoning import run_poisoning
from safedl.assess.target import ModelUnderTest, check_finite
from safedl.config.profile import PluginSpec
from safedl.data import TensorData
from safedl.executor import Executor, SequentialExecutor
from safedl.registry import ATTACKS
from safedl.results import AttackEntry, parse_entry
from safedl.results.labels import attack_label
from safedl.store import ArtifactStore, content_key
from safedl.threat.model import ThreatAssessment
from safedl.threat.scope import ScopeVerdict, classify

log = logging.getLogger(__name__)

POISONING_FAMILIES = ("poisoning", "backdoor")


@dataclass
class AssessSettings:
    """How units run: where results go, the seed, batch size and the executor."""

    store: ArtifactStore
    seed: int = 0
    batch_size: int = 256
    #: Adversarial examples kept per evasion unit (plots, later stages).
    keep_examples: int = 64
    executor: Executor = field(default_factory=SequentialExecutor)


@dataclass
class Unit:
    """One attack on one model: everything a worker needs, and the key it is stored under."""

    key: str
    spec: PluginSpec
    target: ModelUnderTest
    data: TensorData
    settings: AssessSettings
    scope: ScopeVerdict
    adaptive: bool = False


def unit_key(spec: PluginSpec, target: ModelUnderTest, data: TensorData, seed: int) -> str:
    """Content key of running ``spec`` on ``target`` over ``data`` with ``seed``."""
    params = ATTACKS.make_config(spec.name, spec.params).model_dump(mode="json")
    return content_key(
        "attack",
        {
            "name": spec.name,
            "params": params,
            "seed": seed,
            "data": data.fingerprint(),
            "model": target.model_id,
        },
    )


def run_unit(unit: Unit) -> dict[str, object]:
    """Run one unit, or read its stored result; returns the serialised entry."""
    store = unit.settings.store
    stored = store.get_json(unit.key)
    if stored is not None:
        log.info("attack %s on %s: reusing finished unit", unit.spec.name, unit.target.name)
        return stored
    info = ATTACKS.get(unit.spec.name)
    common = {
        "attack": unit.spec.name,
        "unit": unit.key,
        "model": unit.target.name,
        "model_id": unit.target.model_id,
        "access": info.access,
        "label": attack_label(unit.spec.name, info.family, dict(unit.spec.params), info.access),
        "scope": unit.scope.scope,
        "scope_reason": unit.scope.reason,
        "threat_ids": unit.scope.threat_ids,
        "adaptive": unit.adaptive,
    }
    log.info("attack %s on %s", unit.spec.name, unit.target.name)
    if info.family == "evasion":
        entry = run_evasion(unit, common)
    elif info.family in POISONING_FAMILIES:
        entry = run_poisoning(unit, common)
    else:
        entry = {
            **common,
            "family": info.family,
            "params": dict(unit.spec.params),
            "status": "unavailable",
            "note": f"the {info.family} family is not evaluated by this version yet",
        }
    data = parse_entry(entry).model_dump(mode="json")  # validated on write
    store.put_json(unit.key, data)
    return data


def assess_model(
    target: ModelUnderTest,
    data: TensorData,
    plan: Sequence[PluginSpec],
    settings: AssessSettings,
    *,
    threat: ThreatAssessment | None = None,
    adaptive: Sequence[bool] | None = None,
    on_done: Callable[[int], None] | None = None,
) -> list[AttackEntry]:
    """Run every attack of ``plan`` on ``target`` over ``data``; one typed entry per attack.

    Args:
        target: The model under test (white-box and/or black-box access).
        data: The evaluation examples (evasion attacks perturb them; poisoning attacks measure
            their victims on ``target.recipe.test``).
        plan: The attacks and their parameters (validated against each plugin's Config).
        settings: Store, seed, batch size and executor.
        threat: The threat model, to label each entry's scope (stress test, outside, ...).
        adaptive: Per plan entry, whether it is an adaptive attack chosen for a defense.
        on_done: Called with the plan index as each unit finishes.

    Raises:
        ConfigError: an unknown attack or invalid parameters (before anything runs).
        ModelError: the model's outputs are not finite.
    """
    check_finite(target, data)
    flags = list(adaptive) if adaptive is not None else [False] * len(plan)
    units = []
    for spec, flag in zip(plan, flags, strict=True):
        info = ATTACKS.get(spec.name)
        units.append(
            Unit(
                key=unit_key(spec, target, data, settings.seed),
                spec=spec,
                target=target,
                data=data,
                settings=settings,
                scope=classify(spec.name, dict(spec.params), info.access, threat),
                adaptive=flag,
            )
        )
    entries = settings.executor.map(run_unit, units, on_done)
    return [parse_entry(e) for e in entries]


__all__ = ["POISONING_FAMILIES", "AssessSettings", "Unit", "assess_model", "run_unit", "unit_key"]
