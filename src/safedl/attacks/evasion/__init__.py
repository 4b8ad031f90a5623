"""Evasion attacks: adversarial examples at inference time."""

from safedl.attacks.evasion.base import EvasionAttack, EvasionConfig, EvasionResult

__all__ = ["EvasionAttack", "EvasionConfig", "EvasionResult"]
