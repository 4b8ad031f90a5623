"""AutoAttack-lite — a fixed, parameter-free evaluation protocol run as a per-sample cascade."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import Field, model_validator

from safedl.attacks.evasion.base import EvasionAttack, EvasionConfig
from safedl.attacks.evasion.cascade import CascadeAttack
from safedl.errors import ConfigError
from safedl.registry import ATTACKS

PROTOCOL = {"lite": (100, 1000), "standard": (100, 5000)}


@ATTACKS.register(
    "autoattack_lite",
    family="evasion",
    access="white-box",
    norms=("linf", "l2"),
    paper="Croce & Hein, Reliable evaluation of adversarial robustness ..., ICML 2020",
)
class AutoAttackLite(CascadeAttack):
    """APGD-CE → APGD-DLR → Square as a cascade: a fixed worst-case protocol (Croce & Hein).

    Paper: Croce, Hein, "Reliable evaluation of adversarial robustness with an ensemble of
    diverse parameter-free attacks", ICML 2020 (the "standard" AutoAttack is APGD-CE, APGD-T,
    FAB-T and Square with 5000 queries).
    Threat: L∞ or L2 ball of radius ``eps``; access ``white-box`` (gradients) plus a
    score-based attack through the model's Oracle.
    Reports: the worst-case robust accuracy with its 95% CI, and ``extra["cascade"]``: per
    stage how many points it ran on and broke, how many stayed robust, its time and its own
    figures (Square's ``queries``).

    The protocol is fixed; only ``eps``, ``norm`` and ``version`` are chosen: APGD-CE (100
    steps), then APGD-DLR (100 steps) on the points still robust, then Square
    (1000 queries in ``lite``, 5000 in ``standard``) on the rest. A point broken by any of
    them counts as broken. Untargeted only.
    """

    class Config(EvasionConfig):
        """Budget and protocol version; untargeted only."""

        version: Literal["lite", "standard"] = Field(
            "lite", description="Protocol size: Square gets 1000 (lite) or 5000 queries."
        )

        @model_validator(mode="after")
        def _untargeted(self) -> AutoAttackLite.Config:
            if self.targeted:
                raise ValueError("autoattack_lite is untargeted; remove targeted/target_class")
            return self

    config: Config

    def stages(self) -> Sequence[EvasionAttack[Any]]:
        steps, queries = PROTOCOL[self.config.version]
        common = {"eps": self.config.eps, "norm": self.config.norm}
        plan = [
            ("apgd_ce", {**common, "steps": steps}),
            ("apgd_dlr", {**common, "steps": steps}),
            ("square", {**common, "max_queries": queries}),
        ]
        missing = [name for name, _ in plan if name not in ATTACKS]
        if missing:
            raise ConfigError(f"autoattack_lite needs the attacks {missing}, not registered")
        return [ATTACKS.create(n, p, seed=self.seed) for n, p in plan]
