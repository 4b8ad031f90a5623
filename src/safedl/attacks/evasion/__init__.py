"""Evasion attacks: adversarial examples at inference time."""

from safedl.attacks.evasion.base import (
    AttackRun,
    EvasionAttack,
    EvasionConfig,
    EvasionResult,
    Examples,
)

__all__ = ["AttackRun", "EvasionAttack", "EvasionConfig", "EvasionResult", "Examples"]
