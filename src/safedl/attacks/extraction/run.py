"""The entry point of the extraction family: :func:`run_extraction_attack`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from safedl.attacks.extraction.base import ExtractionAttack, ExtractionResult
from safedl.attacks.extraction.target import ExtractionTarget
from safedl.errors import PluginError
from safedl.models import OracleFactory
from safedl.registry import ATTACKS


def make_extraction_attack(
    attack: str | ExtractionAttack, params: Mapping[str, Any] | None = None, *, seed: int = 0
) -> ExtractionAttack:
    """The plugin instance for ``attack`` (a registered extraction attack's name, or one).

    Raises:
        PluginError: Unknown name, another family, or not an :class:`ExtractionAttack`.
        ConfigError: ``params`` rejected by the plugin's ``Config``.
    """
    if isinstance(attack, ExtractionAttack):
        return attack
    info = ATTACKS.get(attack)
    if info.family != "extraction":
        raise PluginError(
            f"attack {attack!r} is in the {info.family} family, not extraction",
            hint="run it through its own family's entry point",
        )
    plugin = ATTACKS.create(attack, params or {}, seed=seed)
    if not isinstance(plugin, ExtractionAttack):
        raise PluginError(f"extraction attack {attack!r} does not subclass ExtractionAttack")
    return plugin


def run_extraction_attack(
    attack: str | ExtractionAttack,
    target_oracles: OracleFactory,
    target: ExtractionTarget,
    *,
    params: Mapping[str, Any] | None = None,
) -> ExtractionResult:
    """Steal the model behind ``target_oracles`` and measure the stolen copy.

    Args:
        attack: ``knockoff``, ``jacobian`` or another registered extraction attack, or one.
        target_oracles: Builds the Oracles: the attack's (soft or hard labels as its
            ``labels`` parameter asks, within ``max_queries``; an output-hardened factory may
            grant less) and an uncounted label Oracle for measuring the victim.
        target: The thief's pool and architecture, the test set, the store and the seed.
        params: The plugin's parameters, when ``attack`` is a name.
    """
    plugin = make_extraction_attack(attack, params, seed=target.seed)
    return plugin.run(target_oracles, target)


__all__ = ["make_extraction_attack", "run_extraction_attack"]
