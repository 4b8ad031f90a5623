"""Output defenses: change what the deployed model returns, not the model.

``output_hardening`` (top-1 label, top-k, rounding, temperature) is applied as an Oracle
factory wrapper (:class:`~safedl.defenses.output.policy.HardenedOracles`), so every black-box
attack runs unchanged against what a client would receive. A risk is never called mitigated by
output hardening unless label-only attacks were run against the hardened model too
(:func:`~safedl.defenses.output.hardening.mitigation_claim`).
"""
