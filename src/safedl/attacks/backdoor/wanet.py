"""WaNet: an imperceptible warping of the image is the backdoor trigger (see :class:`WaNet`)."""

from __future__ import annotations

import torch
from pydantic import Field
from torch.nn import functional as F

from safedl.attacks.backdoor.base import BackdoorAttack, BackdoorConfig
from safedl.attacks.poisoning.base import PoisonedSet, check_class, pick
from safedl.data import TensorData
from safedl.models import ModelAdapter
from safedl.registry import ATTACKS


def _identity_grid(h: int, w: int) -> torch.Tensor:
    """``[1, H, W, 2]`` sampling grid of ``F.grid_sample`` that leaves an image unchanged."""
    rows, cols = torch.meshgrid(torch.linspace(-1, 1, h), torch.linspace(-1, 1, w), indexing="ij")
    return torch.stack((cols, rows), dim=-1).unsqueeze(0)


@ATTACKS.register(
    "wanet",
    family="backdoor",
    access="training-data",
    paper="Nguyen, Tran, WaNet - Imperceptible Warping-based Backdoor Attack, ICLR 2021",
)
class WaNet(BackdoorAttack):
    """WaNet warping backdoor with the paper's noise mode (Nguyen & Tran, ICLR 2021).

    Paper: Nguyen, Tran, "WaNet — Imperceptible Warping-based Backdoor Attack", ICLR 2021.
    Threat: access ``training-data``: a share ``poison_fraction`` of the training set is
    warped and relabelled; ``cross_ratio`` times as many other samples are warped with extra
    random noise and keep their labels (noise mode), so that the network learns this warp and
    not warping in general. All of them count as poisoned samples. The warp is applied at test
    time.
    Reports: clean accuracy and its drop, attack success rate on warped non-target test
    images, per-class accuracy before and after, the poison count and ``extra["cross_count"]``
    (the noise-mode samples); 95% CIs. The trigger (``grid``) comes back with the poisoned set.

    The paper poisons each batch on the fly; here the poisons are fixed samples of the
    training set. Pixels move by about ``s/2`` pixels on average whatever the image size.
    """

    class Config(BackdoorConfig):
        """WaNet parameters (paper defaults)."""

        k: int = Field(4, ge=2, le=64, description="Side of the random control grid.")
        s: float = Field(0.5, gt=0.0, le=32.0, description="Strength of the warp.")
        grid_rescale: float = Field(1.0, gt=0.0, le=2.0, description="Grid rescaling factor.")
        cross_ratio: float = Field(
            2.0,
            ge=0.0,
            le=10.0,
            description="Noise-mode samples per poisoned sample (0: noise mode off).",
        )

    config: Config

    def make_trigger(
        self, shape: tuple[int, int, int], generator: torch.Generator
    ) -> dict[str, torch.Tensor]:
        cfg = self.config
        _, h, w = shape
        ins = torch.rand((1, 2, cfg.k, cfg.k), generator=generator) * 2 - 1
        ins = ins / ins.abs().mean()
        noise = F.interpolate(ins, size=(h, w), mode="bicubic", align_corners=True)
        noise = noise.permute(0, 2, 3, 1) / torch.tensor([w, h], dtype=torch.float32)
        grid = (_identity_grid(h, w) + cfg.s * noise) * cfg.grid_rescale
        return {"grid": grid.clamp(-1, 1)}

    def stamp(self, x: torch.Tensor, trigger: dict[str, torch.Tensor]) -> torch.Tensor:
        grid = trigger["grid"].to(x.device).expand(len(x), -1, -1, -1)
        return F.grid_sample(x, grid, align_corners=True)

    def picture(self, trigger: dict[str, torch.Tensor]) -> torch.Tensor:
        """The displacement of each pixel, scaled to [0, 1] (brighter: moved further)."""
        grid = trigger["grid"]
        shift = (grid - _identity_grid(grid.shape[1], grid.shape[2])).norm(dim=-1)
        return shift / shift.max().clamp_min(1e-12)

    def craft(
        self,
        train: TensorData,
        num_classes: int,
        *,
        generator: torch.Generator,
        clean_model: ModelAdapter | None,
        test: TensorData | None,
    ) -> PoisonedSet:
        check_class(self.config.target_class, num_classes, "target_class")
        out = super().craft(
            train, num_classes, generator=generator, clean_model=clean_model, test=test
        )
        n_cross = round(self.config.cross_ratio * out.count)
        free = torch.ones(len(train), dtype=torch.bool)
        free[out.indices] = False
        cross = pick(free, n_cross, generator)
        if len(cross):
            _, h, w = train.input_shape
            jitter = torch.rand((len(cross), h, w, 2), generator=generator) * 2 - 1
            jitter = jitter / torch.tensor([w, h], dtype=torch.float32)
            assert out.trigger is not None  # made by BackdoorAttack.craft
            grid = (out.trigger["grid"] + jitter).clamp(-1, 1)
            out.data.x[cross] = F.grid_sample(train.x[cross], grid, align_corners=True).clamp(0, 1)
        out.indices = torch.cat([out.indices, cross]).sort().values
        out.extra["cross_count"] = len(cross)
        return out
