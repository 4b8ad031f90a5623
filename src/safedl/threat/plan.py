"""The attack plan: the attacks that test the threats worth testing, with budget-derived params.

Threats at level medium or above are planned; each contributes its catalogue attacks (whose
condition holds), with ``$placeholders`` filled from the attacker's budgets. The same attack
with the same parameters is planned once and lists every threat it tests. An attack that is not
registered is kept as *unavailable* with the reason, never dropped; a registered one has its
parameters validated by the plugin's own ``Config``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from safedl.errors import ConfigError, PluginError
from safedl.registry import ATTACKS
from safedl.threat.catalog import threat_def
from safedl.threat.model import Budgets, Level, PlannedAttack, Threat

log = logging.getLogger(__name__)

PLANNED_LEVELS: tuple[Level, ...] = ("medium", "high", "critical")


def budget_values(budgets: Budgets) -> dict[str, Any]:
    """The placeholders attack templates may use, and their values."""
    return {
        "$eps_linf": budgets.eps["linf"],
        "$eps_l2": budgets.eps["l2"],
        "$queries": budgets.query_budget,
        "$extraction_queries": budgets.extraction_queries,
        "$poison_fraction": budgets.poison_fraction,
        "$patch_size": budgets.patch_size,
        "$steps": budgets.steps,
        "$restarts": budgets.restarts,
    }


def fill(params: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """Replace ``$placeholder`` strings in ``params`` with their values.

    Raises:
        KeyError: for a placeholder that the budgets do not define (a bug in the catalogue).
    """
    return {
        k: values[v] if isinstance(v, str) and v.startswith("$") else v for k, v in params.items()
    }


def check_available(name: str, params: Mapping[str, Any]) -> tuple[str, str]:
    """``(status, reason)`` of one planned attack in this installation."""
    if name not in ATTACKS:
        return (
            "unavailable",
            f"no attack plugin named '{name}' is registered in this installation; the plan "
            "keeps it so that the untested threat stays visible",
        )
    info = ATTACKS.get(name)
    try:
        ATTACKS.make_config(name, params, where=f"plan.{name}")
    except (ConfigError, PluginError) as exc:
        log.warning("planned attack %s: parameters rejected: %s", name, exc)
        return (
            "unavailable",
            f"parameters rejected by the '{name}' plugin (a bug in Safe-DL's attack table, "
            f"please report it): {exc}",
        )
    return "available", f"registered ({info.family}, {info.access} access)"


def build_plan(
    threats: Iterable[Threat],
    budgets: Budgets,
    effective: Mapping[str, tuple[str, ...]],
) -> list[PlannedAttack]:
    """The attack plan for ranked ``threats``; deterministic for the same inputs."""
    values = budget_values(budgets)
    entries: dict[tuple[str, str], tuple[str, dict[str, Any], list[str]]] = {}
    for threat in threats:
        if threat.level not in PLANNED_LEVELS:
            continue
        for template in threat_def(threat.id).attacks:
            if not template.when.matches(effective):
                continue
            params = fill(template.params, values)
            key = (template.name, json.dumps(params, sort_keys=True))
            entry = entries.setdefault(key, (template.name, params, []))
            if threat.id not in entry[2]:
                entry[2].append(threat.id)
    plan = []
    for name, params, threat_ids in entries.values():
        status, reason = check_available(name, params)
        plan.append(
            PlannedAttack(
                name=name,
                params=params,
                threat_ids=threat_ids,
                status=status,
                reason=reason,
            )
        )
    return plan


__all__ = ["PLANNED_LEVELS", "budget_values", "build_plan", "check_available", "fill"]
