"""Universal adversarial patch — one square patch that fools the model wherever it is pasted."""

from __future__ import annotations

from typing import Literal

import torch
from pydantic import Field, model_validator
from torch import Tensor
from torch.nn import functional as F

from safedl.attacks.evasion.base import AttackRun, EvasionAttack, EvasionConfig
from safedl.data import TensorData
from safedl.errors import ConfigError
from safedl.models import ModelAdapter
from safedl.registry import ATTACKS

CHANGE_TOLERANCE = 1e-6


def paste(patch: Tensor, images: Tensor, corners: Tensor) -> Tensor:
    """Paste ``patch`` ``[C, s, s]`` onto ``images`` at per-image top-left ``corners`` ``[N, 2]``.

    Differentiable with respect to ``patch``.
    """
    n, c, h, w = images.shape
    s = patch.shape[-1]
    rows = torch.arange(h, device=images.device)[None, :, None] - corners[:, 0, None, None]
    cols = torch.arange(w, device=images.device)[None, None, :] - corners[:, 1, None, None]
    inside = ((rows >= 0) & (rows < s) & (cols >= 0) & (cols < s))[:, None]
    flat = (rows.clamp(0, s - 1) * s + cols.clamp(0, s - 1)).flatten(1)  # [N, H*W]
    values = patch.reshape(c, s * s)[:, flat].permute(1, 0, 2).reshape(n, c, h, w)
    return torch.where(inside, values, images)


@ATTACKS.register(
    "universal_patch",
    family="evasion",
    access="white-box",
    norms=("l0",),
    paper="Brown et al., Adversarial Patch, arXiv:1712.09665, 2017",
)
class UniversalPatch(EvasionAttack[ModelAdapter]):
    """Universal adversarial patch trained with random placement (Brown et al. 2017).

    Paper: Brown, Mané, Roy, Abadi, Gilmer, "Adversarial Patch", 2017 (arXiv:1712.09665).
    Threat: physical-world patch (a sticker on a traffic sign): an L0 budget — only the pixels
    of one square of side ``size`` × the shorter image side may change, to any value in
    [0, 1]; access ``white-box`` (gradients) while the patch is trained. ``eps`` and ``norm``
    are not used: the bounds check (:meth:`violation`) verifies that the changed pixels fit in
    one patch-sized square and that values stay in [0, 1].
    Reports: clean and robust accuracy, success rate (95% CIs), perturbation norms, images/s,
    ``extra["patch"]`` (side in pixels, area fraction, placement, final training loss), and the
    trained patch itself as ``result.tensors["patch"]`` (``[C, s, s]``; nothing is written to
    disk).

    One patch is trained on the whole data set (in :meth:`prepare`) with Adam, pasted at a new
    random place per image and per step (``placement: random``, expectation over
    transformations) or at column ``x``, row ``y`` (``placement: fixed``), optionally rescaled
    at random (``scale_min``); then every batch gets it, at a random or the fixed place. A
    targeted patch has one target: ``target_class``.
    """

    class Config(EvasionConfig):
        """Patch parameters; ``eps`` and ``norm`` are unused (the budget is ``size``)."""

        eps: float = Field(0.1, gt=0, description="Unused: the budget is size (L0).")
        norm: Literal["linf", "l2"] = Field("linf", description="Unused: the budget is size.")
        size: float = Field(0.25, gt=0, le=1, description="Patch side / shorter image side.")
        placement: Literal["random", "fixed"] = Field(
            "random", description="random: a new place per image and step; fixed: at x, y."
        )
        x: int = Field(0, ge=0, description="Column of the top-left corner (placement: fixed).")
        y: int = Field(0, ge=0, description="Row of the top-left corner (placement: fixed).")
        steps: int = Field(200, ge=1, le=100_000, description="Adam steps.")
        lr: float = Field(0.05, gt=0, description="Adam learning rate.")
        batch_size: int = Field(128, ge=1, description="Images per training step.")
        scale_min: float = Field(
            1.0,
            gt=0,
            le=1,
            description="Smallest random rescaling of the patch in training (1: none).",
        )

        @model_validator(mode="after")
        def _one_target(self) -> UniversalPatch.Config:
            if self.targeted and self.target_class is None:
                raise ValueError(
                    "a universal patch has one target: set target_class when targeted is true"
                )
            return self

    config: Config

    def side(self, h: int, w: int) -> int:
        """Patch side in pixels for ``h x w`` images."""
        return max(1, int(self.config.size * min(h, w)))

    def prepare(self, access: ModelAdapter, data: TensorData, run: AttackRun) -> Tensor:
        """Train one patch on all of ``data``; it is ``run.prepared`` and ``tensors["patch"]``."""
        target = None
        if self.config.targeted:
            target = self._targets(data.y, run.num_classes, run.generator)
        patch, loss = self._train(access, data.x, data.y if target is None else target, run)
        _, _, h, w = data.x.shape
        s = patch.shape[-1]
        run.stats["patch"] = {
            "side": s,
            "area_fraction": s * s / (h * w),
            "placement": self.config.placement,
            "final_loss": loss,
        }
        run.tensors["patch"] = patch.cpu()
        return patch

    def perturb(
        self,
        model: ModelAdapter,
        x: Tensor,
        y: Tensor,
        target: Tensor | None,
        run: AttackRun,
    ) -> Tensor:
        """Paste the patch trained in :meth:`prepare` on the batch."""
        patch: Tensor = run.prepared.to(x.device)
        _, _, h, w = x.shape
        corners = self._corners(len(x), h, w, patch.shape[-1], run.generator).to(x.device)
        return paste(patch, x, corners)

    def _corners(self, n: int, h: int, w: int, s: int, gen: torch.Generator) -> Tensor:
        cfg = self.config
        if cfg.placement == "fixed":
            if cfg.y + s > h or cfg.x + s > w:
                raise ConfigError(
                    f"a {s}x{s} patch at column {cfg.x}, row {cfg.y} does not fit {h}x{w} images",
                    hint=f"use x <= {w - s} and y <= {h - s}, or a smaller size",
                )
            return torch.tensor([[cfg.y, cfg.x]], device=gen.device).expand(n, 2)
        r = torch.randint(0, h - s + 1, (n,), generator=gen, device=gen.device)
        c = torch.randint(0, w - s + 1, (n,), generator=gen, device=gen.device)
        return torch.stack([r, c], 1)

    def _train(
        self, model: ModelAdapter, x: Tensor, labels: Tensor, run: AttackRun
    ) -> tuple[Tensor, float]:
        """The trained patch ``[C, s, s]`` and its final cross-entropy."""
        cfg, device, gen = self.config, model.device, run.generator
        _, c, h, w = x.shape
        s = self.side(h, w)
        self._corners(1, h, w, s, gen)  # fail early on a fixed placement that does not fit
        patch = torch.rand((c, s, s), generator=gen, device=device).requires_grad_(True)
        opt = torch.optim.Adam([patch], lr=cfg.lr)
        sign = -1.0 if cfg.targeted else 1.0  # targeted: minimise CE to the target
        last = torch.zeros((), device=device)
        for _ in range(cfg.steps):
            k = min(cfg.batch_size, len(x))
            pick = torch.randint(0, len(x), (k,), generator=gen, device=gen.device)
            xb, lb = x[pick.to(x.device)].to(device), labels[pick.to(labels.device)].to(device)
            p = patch
            if cfg.scale_min < 1.0:
                lo = max(1, round(cfg.scale_min * s))
                side = int(torch.randint(lo, s + 1, (1,), generator=gen, device=device))
                p = F.interpolate(patch[None], size=(side, side), mode="bilinear")[0]
            adv = paste(p, xb, self._corners(len(xb), h, w, p.shape[-1], gen))
            loss = -sign * F.cross_entropy(model.logits(adv), lb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            with torch.no_grad():
                patch.clamp_(0.0, 1.0)
            last = loss.detach()
        return patch.detach(), float(-sign * last)  # the cross-entropy (true or target class)

    def violation(self, x: Tensor, x_adv: Tensor) -> Tensor:
        """Per-example violation of the L0 patch budget and of [0, 1] (0 when inside).

        The changed pixels (any channel) must fit in one ``side x side`` square: the violation
        is how many pixels their bounding box exceeds the side by, in either direction.
        """
        _, _, h, w = x.shape
        s = self.side(h, w)
        changed = ((x_adv - x).abs() > CHANGE_TOLERANCE).any(1)  # [N, H, W]
        excess = torch.zeros(len(x), device=x.device)
        for axis, size in ((2, h), (1, w)):
            hit = changed.any(axis)  # rows (axis 2 reduced) or columns
            pos = torch.arange(size, device=x.device)
            first = torch.where(hit, pos, size).amin(1)
            last = torch.where(hit, pos, -1).amax(1)
            extent = (last - first + 1).clamp_min(0)
            excess = torch.maximum(excess, (extent - s).clamp_min(0).float())
        flat = x_adv.flatten(1)
        outside_box = torch.maximum((-flat).amax(1), (flat - 1).amax(1)).clamp_min(0)
        return torch.maximum(excess, outside_box)
