"""AutoAttack-lite — a fixed, parameter-free evaluation protocol run as a per-sample cascade.

Paper: Croce & Hein, "Reliable evaluation of adversarial robustness with an ensemble of diverse
parameter-free attacks", ICML 2020 (the "standard" AutoAttack is APGD-CE, APGD-T, FAB-T and
Square with 5000 queries).
Threat: L∞ or L2 ball of radius ``eps``; white-box gradients plus a score-based attack.
Protocol (fixed, only ``eps``, ``norm`` and ``version`` are chosen): APGD-CE (100 steps), then
APGD-DLR (100 steps) on the points still robust, then Square (``square_queries``, 1000 in
``lite``, 5000 in ``standard``) on the rest. A point broken by any of them counts as broken.
Reports: the worst-case robust accuracy with its 95% CI, and per stage of the cascade how many
points it ran on and broke, and its time.
"""

from __future__ import annotations

from typing import Any, Literal

import torch
from pydantic import Field

from safedl.attacks.evasion.base import EvasionAttack, EvasionConfig
from safedl.attacks.evasion.cascade import cascade
from safedl.errors import ConfigError
from safedl.models import ModelAdapter
from safedl.registry import ATTACKS

PROTOCOL = {"lite": (100, 1000), "standard": (100, 5000)}


@ATTACKS.register(
    "autoattack_lite",
    family="evasion",
    access="white-box",
    norms=("linf", "l2"),
    paper="Croce & Hein, Reliable evaluation of adversarial robustness ..., ICML 2020",
)
class AutoAttackLite(EvasionAttack):
    """APGD-CE → APGD-DLR → Square as a cascade: a fixed worst-case protocol (Croce & Hein)."""

    class Config(EvasionConfig):
        """Budget and protocol version; untargeted only."""

        version: Literal["lite", "standard"] = Field("lite", description="Protocol size.")

    config: Config

    def __init__(self, config: Config, *, seed: int = 0) -> None:
        if config.targeted:
            raise ConfigError("autoattack_lite is untargeted; remove targeted/target_class")
        super().__init__(config, seed=seed)
        steps, queries = PROTOCOL[config.version]
        common = {"eps": config.eps, "norm": config.norm}
        plan = [
            ("apgd_ce", {**common, "steps": steps}),
            ("apgd_dlr", {**common, "steps": steps}),
            ("square", {**common, "max_queries": queries}),
        ]
        missing = [name for name, _ in plan if name not in ATTACKS]
        if missing:
            raise ConfigError(f"autoattack_lite needs the attacks {missing}, not registered")
        self.attacks = [ATTACKS.create(n, p, seed=seed) for n, p in plan]
        self._steps: list[dict[str, Any]] = []

    def reset_stats(self) -> None:
        self._steps = []

    def stats(self) -> dict[str, Any]:
        return {"cascade": self._steps}

    def generate(
        self, model: ModelAdapter, x: torch.Tensor, y: torch.Tensor, batch_size: int = 256
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        x_adv, _, steps = cascade(model, x, y, self.attacks, batch_size=batch_size)
        self._steps = steps
        return x_adv, None

    def perturb(
        self,
        model: ModelAdapter,
        x: torch.Tensor,
        y: torch.Tensor,
        target: torch.Tensor | None,
        generator: torch.Generator,
    ) -> torch.Tensor:
        return self.generate(model, x, y, len(x))[0]
