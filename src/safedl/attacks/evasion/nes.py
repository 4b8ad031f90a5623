"""NES — projected gradient descent on gradients estimated by natural evolution strategies."""

from __future__ import annotations

import torch
from pydantic import Field, model_validator
from torch import Tensor

from safedl.attacks.evasion.base import AttackRun
from safedl.attacks.evasion.blackbox import (
    BlackBoxAttack,
    BlackBoxConfig,
    ExampleOracle,
    check_estimator_budget,
    estimate_gradient,
    objective,
)
from safedl.attacks.evasion.steps import project, step
from safedl.registry import ATTACKS


@ATTACKS.register(
    "nes",
    family="evasion",
    access="scores",
    norms=("linf", "l2"),
    paper="Ilyas et al., Black-box Adversarial Attacks with Limited Queries and Information, "
    "ICML 2018",
)
class NES(BlackBoxAttack):
    """NES gradient estimates with antithetic Gaussian sampling, PGD steps (Ilyas et al. 2018).

    Paper: Ilyas, Engstrom, Athalye, Lin, "Black-box Adversarial Attacks with Limited Queries
    and Information", ICML 2018.
    Threat: L∞ (sign steps, as in the paper) or L2 (normalised steps) ball of radius ``eps``;
    access ``scores`` (probabilities, through an Oracle only).
    Reports: clean and robust accuracy, success rate (95% CIs), perturbation norms, images/s,
    and ``extra["queries"]`` (mean, median, max, total per example, and the budget).

    Each iteration costs ``samples`` queries for the estimate and one at the new point, which
    stops the example once it is adversarial; there are ``(max_queries - 1) // (samples + 1)``
    iterations. Loss: margin (untargeted), cross-entropy (targeted).
    """

    class Config(BlackBoxConfig):
        """NES parameters on top of the shared black-box ones."""

        samples: int = Field(
            50, ge=2, le=100_000, description="Queries per gradient estimate (even: pairs ±u)."
        )
        sigma: float = Field(0.001, gt=0, le=1, description="Standard deviation of the search.")
        step_size: float | None = Field(
            None, gt=0, description="Step size; default 2.5 * eps / iterations."
        )

        @model_validator(mode="after")
        def _check(self) -> NES.Config:
            check_estimator_budget(self.samples, self.max_queries, "+u/-u")
            return self

    config: Config

    def attack(
        self,
        oracle: ExampleOracle,
        x: Tensor,
        y: Tensor,
        target: Tensor | None,
        run: AttackRun,
    ) -> Tensor:
        cfg = self.config
        generator = run.generator
        labels = y if target is None else target
        per_iter = cfg.samples + 1
        iterations = (cfg.max_queries - 1) // per_iter
        alpha = cfg.step_size if cfg.step_size is not None else 2.5 * cfg.eps / iterations

        def gaussian(shape: tuple[int, ...]) -> Tensor:
            return torch.randn(shape, generator=generator, device=x.device)

        x_adv = x.clone()
        success = torch.zeros(len(x), dtype=torch.bool, device=x.device)
        for _ in range(iterations):
            active = (~success & (oracle.remaining() >= per_iter)).nonzero().squeeze(1)
            if len(active) == 0:
                break
            xa, la = x_adv[active], labels[active]
            grad = estimate_gradient(
                oracle, xa, active, la, target is not None, gaussian, cfg.sigma, cfg.samples // 2
            )
            x_new = project(x[active], step(xa, -grad, alpha, cfg.norm), cfg.eps, cfg.norm)
            _, hit = objective(oracle(x_new, active), la, target is not None)
            x_adv[active] = x_new
            success[active] = hit
        return x_adv
