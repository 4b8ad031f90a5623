"""The entry point of the privacy family: :func:`run_privacy_attack`.

The caller (the assessment service, a test, a notebook) describes the target once as a
:class:`~safedl.attacks.privacy.target.PrivacyTarget` and hands over the Oracle factory of
the model under test — the plain local one, an output-hardened one, or an endpoint — so the
same call measures a baseline and its defended versions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from safedl.attacks.privacy.base import MembershipAttack, PrivacyResult
from safedl.attacks.privacy.inversion_base import InversionAttack, InversionResult
from safedl.attacks.privacy.target import PrivacyTarget
from safedl.errors import PluginError
from safedl.models import ModelAdapter, OracleFactory
from safedl.registry import ATTACKS


def make_privacy_attack(
    attack: str | MembershipAttack | InversionAttack,
    params: Mapping[str, Any] | None = None,
    *,
    seed: int = 0,
) -> MembershipAttack | InversionAttack:
    """The plugin instance for ``attack`` (a registered name of the privacy family, or one).

    Raises:
        PluginError: Unknown name, or a plugin that is neither a membership nor an inversion
            attack.
        ConfigError: ``params`` rejected by the plugin's ``Config``.
    """
    if isinstance(attack, (MembershipAttack, InversionAttack)):
        return attack
    info = ATTACKS.get(attack)
    if info.family != "privacy":
        raise PluginError(
            f"attack {attack!r} is in the {info.family} family, not privacy",
            hint="run it through its own family's entry point",
        )
    plugin = ATTACKS.create(attack, params or {}, seed=seed)
    if not isinstance(plugin, (MembershipAttack, InversionAttack)):
        raise PluginError(
            f"privacy attack {attack!r} subclasses neither MembershipAttack nor InversionAttack"
        )
    return plugin


def run_privacy_attack(
    attack: str | MembershipAttack | InversionAttack,
    target_oracles: OracleFactory,
    target: PrivacyTarget,
    *,
    params: Mapping[str, Any] | None = None,
    evaluator: ModelAdapter | None = None,
) -> PrivacyResult | InversionResult:
    """Run one privacy attack against the model behind ``target_oracles``.

    Args:
        attack: A registered privacy attack (``loss_threshold``, ``shadow_models``, ``lira``,
            ``rmia``, ``label_only``, ``mi_face``) or a plugin instance.
        target_oracles: Builds the Oracles the attack queries; the attack asks for the access
            it needs (scores or labels) within ``target.query_budget``, and gets what the
            factory grants (an output-hardened factory may grant labels only).
        target: The membership game and the attacker's resources (never the model).
        params: The plugin's parameters (validated by its ``Config``), when ``attack`` is a name.
        evaluator: For inversion, an evaluation classifier to use instead of training one.

    Returns:
        A :class:`PrivacyResult` (membership inference) or an :class:`InversionResult`.
    """
    plugin = make_privacy_attack(attack, params, seed=target.seed)
    if isinstance(plugin, MembershipAttack):
        return plugin.run(target_oracles, target)
    return plugin.run(target_oracles, target, evaluator=evaluator)


__all__ = ["make_privacy_attack", "run_privacy_attack"]
