"""Privacy attacks: membership inference and model inversion, through an Oracle only.

Entry point: :func:`run_privacy_attack`. Membership attacks (``loss_threshold``,
``shadow_models``, ``lira``, ``rmia``, ``label_only``) subclass :class:`MembershipAttack` and
return a :class:`PrivacyResult`; inversion (``mi_face``) subclasses :class:`InversionAttack`
and returns an :class:`InversionResult`. Plugins register through the ``safedl.attacks``
entry-point group; importing this package registers none of them.
"""

from safedl.attacks.privacy.base import MembershipAttack, PrivacyResult
from safedl.attacks.privacy.inversion_base import InversionAttack, InversionResult
from safedl.attacks.privacy.run import make_privacy_attack, run_privacy_attack
from safedl.attacks.privacy.shadows import ShadowSet, train_shadows
from safedl.attacks.privacy.target import PrivacyTarget

__all__ = [
    "InversionAttack",
    "InversionResult",
    "MembershipAttack",
    "PrivacyResult",
    "PrivacyTarget",
    "ShadowSet",
    "make_privacy_attack",
    "run_privacy_attack",
    "train_shadows",
]
