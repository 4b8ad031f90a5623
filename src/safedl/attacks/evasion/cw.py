"""C&W L2 — the Carlini & Wagner minimum-L2 attack (see :class:`CarliniWagnerL2`)."""

from __future__ import annotations

from typing import Any, Literal

import torch
from pydantic import Field, model_validator

from safedl.attacks.evasion.base import AttackRun, EvasionAttack, EvasionConfig
from safedl.models import ModelAdapter
from safedl.registry import ATTACKS

_NEVER = 1e10  # the upper bound of c before any success


@ATTACKS.register(
    "cw",
    family="evasion",
    access="white-box",
    norms=("l2",),
    paper="Carlini & Wagner, Towards Evaluating the Robustness of Neural Networks, IEEE S&P 2017",
)
class CarliniWagnerL2(EvasionAttack[ModelAdapter]):
    """Carlini & Wagner's L2 attack: Adam in tanh space and a binary search over c (2017).

    Paper: Carlini, Wagner, "Towards Evaluating the Robustness of Neural Networks",
    IEEE S&P 2017.
    Threat: minimum-norm L2 (unbounded; ``eps`` is only where ``accuracy_at_eps`` is read);
    access ``white-box`` (gradients); untargeted or targeted.
    Reports: clean and robust accuracy, success rate (95% CIs), perturbation norms (examples
    it could not fool are returned unchanged), images/s, ``extra["accuracy_at_eps"]`` and
    ``extra["median_const"]`` (the median final constant c of the fooled examples).

    The image is written ``x' = (tanh(w) + 1) / 2`` so that it always lies in [0, 1]; Adam
    minimises ``‖x' − x‖²₂ + c · f(x')`` with ``f = max(z_y − max_{i≠y} z_i + κ, 0)``
    (untargeted) or ``max(max_{i≠t} z_i − z_t + κ, 0)`` (targeted). A binary search over c,
    separately for each example, looks for the smallest c that succeeds, and the smallest
    successful perturbation seen at any iteration is kept. The default learning rate is 0.05:
    the paper's 0.01 assumes up to 10,000 iterations and leaves pixels at exactly 0 or 1,
    deep in the flat part of tanh, almost unmovable in 100.
    """

    minimum_norm = True

    class Config(EvasionConfig):
        """C&W parameters on top of the shared evasion ones."""

        eps: float = Field(1.0, gt=0, description="L2 budget at which accuracy_at_eps is reported.")
        norm: Literal["linf", "l2"] = Field("l2", description="Only l2 is supported.")
        confidence: float = Field(0.0, ge=0, description="Margin κ the attack must win by.")
        binary_search_steps: int = Field(
            9, ge=1, le=50, description="Rounds of the per-example binary search over c."
        )
        initial_const: float = Field(1e-2, gt=0, description="First trade-off constant c.")
        steps: int = Field(100, ge=1, le=100_000, description="Adam iterations per constant.")
        lr: float = Field(
            0.05, gt=0, description="Adam learning rate (in tanh space; the paper: 0.01)."
        )
        abort_early: bool = Field(True, description="End a constant's run when the loss stalls.")

        @model_validator(mode="after")
        def _l2_only(self) -> CarliniWagnerL2.Config:
            if self.norm != "l2":
                raise ValueError(
                    "cw is the L2 attack of Carlini & Wagner: set norm: l2 (or leave it out); "
                    "for an L∞ budget use pgd or apgd_ce"
                )
            return self

    config: Config

    def report(self, run: AttackRun) -> dict[str, Any]:
        """The median final constant c of the examples that were fooled."""
        consts = run.gathered("const")
        if not len(consts):
            return {}
        consts = consts[consts < _NEVER]
        return {"median_const": float(consts.median().item()) if len(consts) else None}

    def perturb(
        self,
        model: ModelAdapter,
        x: torch.Tensor,
        y: torch.Tensor,
        target: torch.Tensor | None,
        run: AttackRun,
    ) -> torch.Tensor:
        cfg = self.config
        n, kappa = len(x), cfg.confidence
        labels = y if target is None else target
        mask = torch.zeros(n, model.num_classes, dtype=torch.bool, device=x.device)
        mask.scatter_(1, labels[:, None], True)
        w0 = torch.atanh((2 * x - 1).clamp(-1, 1) * (1 - 1e-6))
        lo = torch.zeros(n, device=x.device)
        hi = torch.full((n,), _NEVER, device=x.device)
        c = torch.full((n,), cfg.initial_const, device=x.device)
        best_l2 = torch.full((n,), torch.inf, device=x.device)
        best = x.clone()
        check_every = max(cfg.steps // 10, 1)
        shape = (-1, *([1] * (x.dim() - 1)))
        for _ in range(cfg.binary_search_steps):
            w = w0.clone().requires_grad_(True)
            opt = torch.optim.Adam([w], lr=cfg.lr)
            succeeded = torch.zeros(n, dtype=torch.bool, device=x.device)
            previous = torch.inf
            for it in range(cfg.steps):
                x_adv = (torch.tanh(w) + 1) / 2
                logits = model.logits(x_adv)
                l2sq = (x_adv - x).flatten(1).pow(2).sum(1)
                real = logits.gather(1, labels[:, None]).squeeze(1)
                other = logits.masked_fill(mask, -torch.inf).amax(1)
                margin = other - real if target is None else real - other  # > κ: success
                loss = (l2sq + c * (kappa - margin).clamp_min(0)).sum()
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                with torch.no_grad():
                    ok = margin.detach() > kappa
                    succeeded |= ok
                    smaller = ok & (l2sq.detach() < best_l2)
                    best_l2 = torch.where(smaller, l2sq.detach(), best_l2)
                    best = torch.where(smaller.view(shape), x_adv.detach(), best)
                if cfg.abort_early and (it + 1) % check_every == 0:
                    value = float(loss.item())
                    if value > previous * 0.9999:
                        break
                    previous = value
            hi = torch.where(succeeded, torch.minimum(hi, c), hi)
            lo = torch.where(succeeded, lo, torch.maximum(lo, c))
            c = torch.where(hi < _NEVER / 10, (lo + hi) / 2, c * 10)
        run.gather("const", torch.where(best_l2 < torch.inf, hi, _NEVER))
        return best
