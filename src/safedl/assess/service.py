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
from typing import Any

from safedl.assess.evasion import run_evasion
from safedl.assess.poisoning import run_poisoning
from safedl.assess.privacy import run_extraction, run_privacy
from safedl.assess.target import ModelUnderTest, check_finite
from safedl.assess.units import AssessSettings, AttackRequest, Unit
from safedl.config.profile import PluginSpec
from safedl.data import TensorData
from safedl.models import model_fingerprint
from safedl.registry import ATTACKS
from safedl.results import AttackEntry, parse_entry
from safedl.results.labels import attack_label
from safedl.store import content_key
from safedl.threat.model import ThreatAssessment
from safedl.threat.scope import classify

log = logging.getLogger(__name__)

POISONING_FAMILIES = ("poisoning", "backdoor")


def unit_key(
    spec: PluginSpec,
    target: ModelUnderTest,
    data: TensorData,
    seed: int,
    view: str | None = None,
) -> str:
    """Content key of running ``spec`` on ``target`` (through ``view``) over ``data``."""
    params = ATTACKS.make_config(spec.name, spec.params).model_dump(mode="json")
    what: dict[str, object] = {
        "name": spec.name,
        "params": params,
        "seed": seed,
        "data": data.fingerprint(),
        "model": target.model_id,
    }
    if view is not None:
        what["view"] = {"name": view, "model": model_fingerprint(target.view(view))}
    return content_key("attack", what)


def reused(entry: dict[str, Any]) -> dict[str, Any]:
    """A stored entry as read back: nothing in it was computed again."""
    out = {**entry, "reused": True}
    if out.get("family") in POISONING_FAMILIES and out.get("status") == "done":
        out["poison_reused"] = True
        out["victim"] = {**out.get("victim", {}), "reused": True}
    return out


def run_unit(unit: Unit) -> dict[str, Any]:
    """Run one unit, or read its stored result; returns the serialised entry."""
    store = unit.settings.store
    stored = store.get_json(unit.key)
    if stored is not None:
        log.info("attack %s on %s: reusing finished unit", unit.spec.name, unit.target.name)
        return reused(stored)
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
        "adaptive": bool(unit.adaptive),
        "adaptive_reason": unit.adaptive,
        "view": unit.view,
    }
    log.info("attack %s on %s", unit.spec.name, unit.target.name)
    if info.family == "evasion":
        entry = run_evasion(unit, common)
    elif info.family in POISONING_FAMILIES:
        entry = run_poisoning(unit, common)
    elif info.family == "privacy":
        entry = run_privacy(unit, common)
    elif info.family == "extraction":
        entry = run_extraction(unit, common)
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
    plan: Sequence[PluginSpec | AttackRequest],
    settings: AssessSettings,
    *,
    threat: ThreatAssessment | None = None,
    on_done: Callable[[int], None] | None = None,
) -> list[AttackEntry]:
    """Run every attack of ``plan`` on ``target`` over ``data``; one typed entry per attack.

    Args:
        target: The model under test (white-box and/or black-box access).
        data: The evaluation examples (evasion attacks perturb them; poisoning attacks measure
            their victims on ``target.recipe.test``).
        plan: The attacks and their parameters (validated against each plugin's Config); an
            :class:`AttackRequest` can also run an attack on a view of the model (adaptive).
        settings: Store, seed, batch size and executor.
        threat: The threat model, to label each entry's scope (stress test, outside, ...).
        on_done: Called with the plan index as each unit finishes.

    Raises:
        ConfigError: an unknown attack or invalid parameters (before anything runs).
        ModelError: the model's outputs are not finite.
    """
    check_finite(target, data)
    units = []
    for item in plan:
        req = item if isinstance(item, AttackRequest) else AttackRequest(item)
        spec = req.spec
        info = ATTACKS.get(spec.name)
        units.append(
            Unit(
                key=unit_key(spec, target, data, settings.seed, req.view),
                spec=spec,
                target=target,
                data=data,
                settings=settings,
                scope=classify(spec.name, dict(spec.params), info.access, threat),
                view=req.view,
                adaptive=req.adaptive,
            )
        )
    entries = settings.executor.map(run_unit, units, on_done)
    return [parse_entry(e) for e in entries]


__all__ = ["POISONING_FAMILIES", "assess_model", "run_unit", "unit_key"]
