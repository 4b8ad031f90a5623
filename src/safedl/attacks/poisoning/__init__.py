"""Poisoning attacks: the attacker edits the training data.

``label_flip``, ``feature_collision`` (Poison Frogs) and ``gradient_matching`` (Witches' Brew);
the backdoors live in :mod:`safedl.attacks.backdoor`. Both families share
:class:`PoisoningAttack` and are evaluated by :func:`evaluate_poisoning`, which stores poisoned
sets and victims in the artifact store (:func:`load_poisoned_set` reads one back).
"""

from safedl.attacks.poisoning.artifacts import load_poisoned_set, poison_key
from safedl.attacks.poisoning.base import (
    AttackOutcome,
    PoisonedSet,
    PoisoningAttack,
    PoisoningConfig,
)
from safedl.attacks.poisoning.evaluate import PoisoningResult, evaluate_poisoning

__all__ = [
    "AttackOutcome",
    "PoisonedSet",
    "PoisoningAttack",
    "PoisoningConfig",
    "PoisoningResult",
    "evaluate_poisoning",
    "load_poisoned_set",
    "poison_key",
]
