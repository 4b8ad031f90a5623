"""Model extraction: train a copy of the model from its answers, through an Oracle only.

Entry point: :func:`run_extraction_attack`. Plugins (``knockoff``, ``jacobian``) subclass
:class:`ExtractionAttack` and return an :class:`ExtractionResult`; they register through the
``safedl.attacks`` entry-point group (importing this package registers none of them).
"""

from safedl.attacks.extraction.base import ExtractionAttack, ExtractionConfig, ExtractionResult
from safedl.attacks.extraction.run import make_extraction_attack, run_extraction_attack
from safedl.attacks.extraction.target import ExtractionTarget

__all__ = [
    "ExtractionAttack",
    "ExtractionConfig",
    "ExtractionResult",
    "ExtractionTarget",
    "make_extraction_attack",
    "run_extraction_attack",
]
