"""MI-Face — model inversion by descending the cost ``1 - p_c(x)`` from a start image.

Paper: Fredrikson, Jha, Ristenpart, "Model Inversion Attacks that Exploit Confidence
Information and Basic Countermeasures", CCS 2015 (Algorithm 1, MI-Face).
Threat: black-box scores through the Oracle (the paper differentiates the model; with scores
only, the gradient is estimated from queries); reconstructs a representative of each class.
Parameters: ``steps`` (the paper's α), ``samples`` (antithetic Gaussian pairs per gradient
estimate), ``sigma`` (finite-difference scale), ``step_size`` (L∞ step per iteration),
``patience`` (the paper's β: stop a reconstruction after this many steps without a better
cost), ``gamma`` (the paper's γ: stop once the cost is at most this), ``smooth`` (the paper's
Process step as a denoiser: blend each iterate with its 3×3 box blur by this much), plus the
shared ``classes``, ``per_class`` and ``start``.
Reports: the evaluation classifier's accuracy on the reconstructions against the start images
(control), distances to class means, the target's confidence, queries; pictures through
:func:`safedl.reporting.privacy_plots.plot_inversions`.

Each iteration queries ``2 · samples + 1`` images per reconstruction: the NES estimator
``ĝ = Σ_i (p_c(x + σu_i) - p_c(x - σu_i)) u_i / (2σ · samples)`` (Ilyas et al. 2018) and the
cost at the current iterate. The step is signed (``x ← clip(x + step_size · sign(ĝ))``), which
is robust to the scale of an estimated gradient; the best iterate per reconstruction is kept.
All reconstructions advance together in one batched query per iteration.
"""

from __future__ import annotations

import torch
from pydantic import Field
from torch import Tensor
from torch.nn import functional as F

from safedl.attacks.privacy.inversion_base import InversionAttack, InversionConfig
from safedl.models import Oracle
from safedl.registry import ATTACKS


def box_blur(x: Tensor) -> Tensor:
    """3×3 mean filter per channel with replicated edges."""
    c = x.shape[1]
    kernel = torch.full((c, 1, 3, 3), 1 / 9, dtype=x.dtype)
    return F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), kernel, groups=c)


@ATTACKS.register(
    "mi_face",
    family="privacy",
    access="scores",
    paper="Fredrikson et al., Model Inversion Attacks that Exploit Confidence Information and "
    "Basic Countermeasures, CCS 2015",
)
class MIFace(InversionAttack):
    """Class representatives by zeroth-order descent on ``1 - p_c`` (Fredrikson et al., 2015)."""

    class Config(InversionConfig):
        """MI-Face parameters on top of the shared inversion ones."""

        steps: int = Field(300, ge=1, le=100_000, description="Iterations (α).")
        samples: int = Field(20, ge=1, le=1000, description="Antithetic pairs per estimate.")
        sigma: float = Field(0.05, gt=0, description="Finite-difference scale.")
        step_size: float = Field(0.01, gt=0, le=1, description="L∞ step per iteration.")
        patience: int = Field(100, ge=1, description="Stop after this many steps w/o gain (β).")
        gamma: float = Field(0.0, ge=0, lt=1, description="Stop once the cost is <= γ.")
        smooth: float = Field(0.0, ge=0, le=1, description="Denoising blend per step.")

    config: Config

    def invert(self, oracle: Oracle, start: Tensor, targets: Tensor) -> Tensor:
        cfg = self.config
        x = start.clone()
        m, shape = len(x), x.shape[1:]
        best = x.clone()
        best_cost = torch.full((m,), float("inf"))
        stale = torch.zeros(m, dtype=torch.long)
        active = torch.ones(m, dtype=torch.bool)
        steps_run = image_steps = 0
        for _ in range(cfg.steps):
            idx = torch.nonzero(active).flatten()
            if len(idx) == 0:
                break
            steps_run += 1
            image_steps += len(idx)
            xa, ta = x[idx], targets[idx]
            u = torch.randn((cfg.samples, len(idx), *shape), generator=self.generator)
            probe = torch.cat([xa.unsqueeze(0), xa + cfg.sigma * u, xa - cfg.sigma * u])
            p = oracle(probe.reshape(-1, *shape)).view(2 * cfg.samples + 1, len(idx), -1)
            pc = p.gather(2, ta.view(1, -1, 1).expand(p.shape[0], -1, 1)).squeeze(2)
            cost = 1 - pc[0]
            diff = (pc[1 : 1 + cfg.samples] - pc[1 + cfg.samples :]).view(cfg.samples, -1, 1, 1, 1)
            grad = (diff * u).sum(0)  # ascent direction of p_c
            better = cost < best_cost[idx]
            best[idx[better]] = xa[better]
            best_cost[idx] = torch.where(better, cost, best_cost[idx])
            stale[idx] = torch.where(better, torch.zeros_like(stale[idx]), stale[idx] + 1)
            step = (xa + cfg.step_size * grad.sign()).clamp(0, 1)
            if cfg.smooth > 0:
                step = ((1 - cfg.smooth) * step + cfg.smooth * box_blur(step)).clamp(0, 1)
            x[idx] = step
            done = (best_cost[idx] <= cfg.gamma) | (stale[idx] >= cfg.patience)
            active[idx[done]] = False
        self.extra["steps_run"] = steps_run
        self.extra["image_steps"] = image_steps  # queries = image_steps * (2 * samples + 1)
        self.extra["final_cost"] = float(best_cost.mean())
        return best


__all__ = ["MIFace", "box_blur"]
