"""The answer → threat rules, as one table.

Each row (:class:`~safedl.threat.conditions.Rule`) either *raises* a threat with a likelihood
floor, or *adjusts* a threat that another row raised (a likelihood delta, an impact floor or an
impact delta). For a raised threat:

- likelihood = highest floor among the raising rules that fired + the sum of fired deltas;
- impact = highest impact floor among fired rules (3 when none) + the sum of impact deltas;

both clamped to 1-5. Every fired row is listed in the threat's reasons with the answers it
looked at, so a reviewer can trace each number back to an answer.
"""

from __future__ import annotations

from safedl.threat.conditions import Rule
from safedl.threat.rules.evasion import EVASION_RULES
from safedl.threat.rules.impact import IMPACT_RULES
from safedl.threat.rules.privacy import PRIVACY_RULES
from safedl.threat.rules.training import TRAINING_RULES

RULES: tuple[Rule, ...] = (*EVASION_RULES, *TRAINING_RULES, *PRIVACY_RULES, *IMPACT_RULES)

DEFAULT_IMPACT = 3

__all__ = ["DEFAULT_IMPACT", "RULES"]
