"""BadNets: a small patch stamped on poisoned training images (see :class:`BadNets`)."""

from __future__ import annotations

from typing import Literal

import torch
from pydantic import Field

from safedl.attacks.backdoor.base import BackdoorAttack, BackdoorConfig
from safedl.errors import ConfigError
from safedl.registry import ATTACKS

Corner = Literal["bottom-right", "bottom-left", "top-right", "top-left", "center"]
Pattern = Literal["square", "checkerboard", "random"]


class PatchConfig(BackdoorConfig):
    """Where and what the patch is (shared with the clean-label backdoor)."""

    pattern: Pattern = Field(
        "square",
        description="square: filled with color; checkerboard: color and black; random: a "
        "seeded binary pattern per pixel and channel (colour on RGB images).",
    )
    size: int | None = Field(
        None, ge=1, description="Side in pixels; default 10% of the image side (at least 2)."
    )
    position: Corner | tuple[int, int] = Field(
        "bottom-right", description="A corner, center, or [row, col] of the top-left pixel."
    )
    margin: int = Field(0, ge=0, description="Pixels between the patch and the chosen corner.")
    color: list[float] | None = Field(
        None,
        min_length=1,
        description="Patch value per channel in [0, 1] (one value for all); default white.",
    )


def patch_side(cfg: PatchConfig, height: int, width: int) -> int:
    """The patch side: ``size``, or 10% of the shorter image side (at least 2 pixels)."""
    return cfg.size if cfg.size is not None else max(2, round(0.1 * min(height, width)))


def make_patch(
    cfg: PatchConfig, shape: tuple[int, int, int], generator: torch.Generator
) -> dict[str, torch.Tensor]:
    """``{"mask": [1, H, W], "pattern": [C, H, W]}`` of the patch described by ``cfg``."""
    c, h, w = shape
    s = patch_side(cfg, h, w)
    m = cfg.margin
    if isinstance(cfg.position, tuple):
        top, left = cfg.position
    else:
        rows = {"top": m, "bottom": h - s - m, "center": (h - s) // 2}
        cols = {"left": m, "right": w - s - m, "center": (w - s) // 2}
        vert, _, horiz = cfg.position.partition("-")
        top, left = rows[vert], cols[horiz or "center"]
    if top < 0 or left < 0 or top + s > h or left + s > w:
        raise ConfigError(
            f"a {s}x{s} patch at row {top}, column {left} does not fit a {h}x{w} image",
            hint="choose a smaller size or margin, or another position",
        )
    color = torch.tensor(cfg.color if cfg.color is not None else [1.0], dtype=torch.float32)
    if len(color) not in (1, c) or bool(((color < 0) | (color > 1)).any()):
        raise ConfigError(f"color needs 1 or {c} values in [0, 1], got {cfg.color}")
    color = color.expand(c).view(c, 1, 1)
    if cfg.pattern == "square":
        cells = color.expand(c, s, s)
    elif cfg.pattern == "checkerboard":
        grid = torch.arange(s).view(-1, 1) + torch.arange(s).view(1, -1)
        cells = color * (grid % 2 == 0).float()  # corner cells lit
    else:
        cells = torch.bernoulli(torch.full((c, s, s), 0.5), generator=generator)
    mask = torch.zeros(1, h, w)
    pattern = torch.zeros(c, h, w)
    mask[:, top : top + s, left : left + s] = 1.0
    pattern[:, top : top + s, left : left + s] = cells
    return {"mask": mask, "pattern": pattern}


@ATTACKS.register(
    "badnets",
    family="backdoor",
    access="training-data",
    paper="Gu, Dolan-Gavitt, Garg, BadNets: Identifying Vulnerabilities in the Machine "
    "Learning Model Supply Chain, 2017",
)
class BadNets(BackdoorAttack):
    """BadNets patch backdoor: stamp a small patch, relabel to the target (Gu et al., 2017).

    Paper: Gu, Dolan-Gavitt, Garg, "BadNets: Identifying Vulnerabilities in the Machine
    Learning Model Supply Chain", 2017 (arXiv:1708.06733).
    Threat: access ``training-data``: a share ``poison_fraction`` of the training set gets the
    patch and a new label; the patch is presented at test time.
    Reports: clean accuracy and its drop against the baseline, attack success rate on
    triggered test images of non-target classes (all of them for all-to-all), per-class
    accuracy before and after, the poison count; 95% CIs. The trigger (``mask``, ``pattern``)
    comes back with the poisoned set.

    The default patch side is 10% of the image side, at least 2 pixels: 3 px on 28x28, 2 px on
    8x8.
    """

    Config = PatchConfig
    config: PatchConfig

    def make_trigger(
        self, shape: tuple[int, int, int], generator: torch.Generator
    ) -> dict[str, torch.Tensor]:
        return make_patch(self.config, shape, generator)
