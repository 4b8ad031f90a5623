"""Backdoor attacks: a trigger planted through poisoned training data.

``badnets`` (patch), ``blend`` (blended noise), ``wanet`` (warping) and ``clean_label_backdoor``
(label-consistent). They share :class:`BackdoorAttack`; evaluation is in
:mod:`safedl.attacks.poisoning.evaluate`.
"""

from safedl.attacks.backdoor.base import BackdoorAttack, BackdoorConfig

__all__ = ["BackdoorAttack", "BackdoorConfig"]
