"""JPEG compression — compress and decompress every input before the model sees it.

Paper: Dziugaite, Ghahramani, Roy, "A study of the effect of JPG compression on adversarial
images", 2016; Guo, Rana, Cissé, van der Maaten, "Countering Adversarial Images using Input
Transformations", ICLR 2018. Broken by BPDA in Athalye, Carlini, Wagner, "Obfuscated Gradients
Give a False Sense of Security", ICML 2018.
Threat: any input perturbation; access ``white-box`` (the attacker knows the preprocessing).
Parameters: ``quality`` (1–100, default 75, libjpeg's scale).
Reports: the defended model (the codec in front of the baseline's network), clean accuracy
beside the baseline's, measured latency; declares ``differentiable: false`` and provides the
BPDA model (identity in the backward pass).

A batched torch implementation of baseline JPEG's lossy steps, so it runs on any device without
a round trip through an image library: 8-bit pixels, level shift, (for RGB) JFIF YCbCr with
4:4:4 sampling, edge-replicated padding to 8×8 blocks, orthonormal 2-D DCT, quantisation with
libjpeg's tables scaled to ``quality`` (``jpeg_quality_scaling``, baseline-clamped to 1..255),
rounding, dequantisation, inverse DCT and 8-bit output. Entropy coding is lossless and skipped.
It matches Pillow's encoder and decoder (integer DCT, 4:4:4) to within rounding of single
coefficients (tested). The output is piecewise constant in the input, so its gradient is zero.
"""

from __future__ import annotations

import math

import torch
from pydantic import Field

from safedl.defenses.input.base import InputDefense, InputTransform, piecewise_constant
from safedl.registry import DEFENSES, PluginConfig

# ITU-T T.81 Annex K, tables K.1 (luminance) and K.2 (chrominance), in natural (row) order.
_LUMA = (
    (16, 11, 10, 16, 24, 40, 51, 61),
    (12, 12, 14, 19, 26, 58, 60, 55),
    (14, 13, 16, 24, 40, 57, 69, 56),
    (14, 17, 22, 29, 51, 87, 80, 62),
    (18, 22, 37, 56, 68, 109, 103, 77),
    (24, 35, 55, 64, 81, 104, 113, 92),
    (49, 64, 78, 87, 103, 121, 120, 101),
    (72, 92, 95, 98, 112, 100, 103, 99),
)
_CHROMA = (
    (17, 18, 24, 47, 99, 99, 99, 99),
    (18, 21, 26, 66, 99, 99, 99, 99),
    (24, 26, 56, 99, 99, 99, 99, 99),
    (47, 66, 99, 99, 99, 99, 99, 99),
    *((99,) * 8 for _ in range(4)),
)
_RGB_TO_YCC = ((0.299, 0.587, 0.114), (-0.168736, -0.331264, 0.5), (0.5, -0.418688, -0.081312))
_YCC_TO_RGB = ((1.0, 0.0, 1.402), (1.0, -0.344136, -0.714136), (1.0, 1.772, 0.0))


def quant_table(base: tuple[tuple[int, ...], ...], quality: int) -> torch.Tensor:
    """libjpeg's ``jpeg_add_quant_table`` with ``jpeg_quality_scaling(quality)``, baseline."""
    q = min(max(quality, 1), 100)
    scale = 5000 // q if q < 50 else 200 - 2 * q
    table = (torch.tensor(base, dtype=torch.int64) * scale + 50) // 100
    return table.clamp(1, 255).float()


def dct_matrix() -> torch.Tensor:
    """The orthonormal 8-point DCT-II matrix ``D`` (coefficients = D · block · Dᵀ)."""
    k = torch.arange(8, dtype=torch.float64).view(-1, 1)
    n = torch.arange(8, dtype=torch.float64).view(1, -1)
    d = torch.cos((2 * n + 1) * k * math.pi / 16) * 0.5
    d[0] = d[0] / math.sqrt(2)
    return d.float()


class JPEGCompression(InputTransform):
    """Baseline JPEG at ``quality`` (grayscale or RGB, 4:4:4), batched in torch."""

    dct: torch.Tensor
    tables: torch.Tensor
    rgb_to_ycc: torch.Tensor
    ycc_to_rgb: torch.Tensor

    def __init__(self, quality: int) -> None:
        super().__init__()
        self.quality = quality
        self.register_buffer("dct", dct_matrix())
        tables = torch.stack([quant_table(_LUMA, quality), quant_table(_CHROMA, quality)])
        self.register_buffer("tables", tables)
        self.register_buffer("rgb_to_ycc", torch.tensor(_RGB_TO_YCC))
        self.register_buffer("ycc_to_rgb", torch.tensor(_YCC_TO_RGB))

    def _codec(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        if c not in (1, 3):
            raise ValueError(f"JPEG needs 1 (grayscale) or 3 (RGB) channels, got {c}")
        pixels = torch.round(x.clamp(0.0, 1.0) * 255.0)
        if c == 3:  # JFIF YCbCr, rounded to 8 bits as the encoder does
            ycc = torch.einsum("ij,njhw->nihw", self.rgb_to_ycc, pixels)
            ycc[:, 1:] += 128.0
            pixels = torch.round(ycc).clamp(0.0, 255.0)
        ph, pw = -h % 8, -w % 8
        if ph or pw:  # libjpeg pads by replicating the last row and column
            pixels = torch.nn.functional.pad(pixels, (0, pw, 0, ph), mode="replicate")
        hb, wb = (h + ph) // 8, (w + pw) // 8
        blocks = (pixels - 128.0).view(n, c, hb, 8, wb, 8).permute(0, 1, 2, 4, 3, 5)
        table = self.tables[0:1] if c == 1 else self.tables[[0, 1, 1]]
        table = table.view(1, c, 1, 1, 8, 8)
        coef = self.dct @ blocks @ self.dct.T
        coef = torch.round(coef / table) * table
        blocks = self.dct.T @ coef @ self.dct
        out = (blocks + 128.0).permute(0, 1, 2, 4, 3, 5).reshape(n, c, hb * 8, wb * 8)
        out = torch.round(out).clamp(0.0, 255.0)[:, :, :h, :w]
        if c == 3:
            ycc = out.clone()
            ycc[:, 1:] -= 128.0
            out = torch.round(torch.einsum("ij,njhw->nihw", self.ycc_to_rgb, ycc))
            out = out.clamp(0.0, 255.0)
        return out / 255.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            out = self._codec(x)
        return piecewise_constant(x, out)

    def extra_repr(self) -> str:
        return f"quality={self.quality}"


@DEFENSES.register(
    "jpeg",
    family="input",
    access="white-box",
    norms=("linf", "l2"),
    paper="Guo et al., Countering Adversarial Images using Input Transformations, ICLR 2018",
)
class JPEG(InputDefense):
    """JPEG compression in front of the model (Dziugaite et al., 2016; Guo et al., 2018)."""

    class Config(PluginConfig):
        """JPEG parameters."""

        quality: int = Field(75, ge=1, le=100, description="libjpeg quality (1–100).")

    config: Config

    def transform(self) -> InputTransform:
        return JPEGCompression(self.config.quality)


__all__ = ["JPEG", "JPEGCompression", "dct_matrix", "quant_table"]
