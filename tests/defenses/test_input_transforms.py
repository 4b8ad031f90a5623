"""Input transformations: faithful transforms, vanishing gradients, and what BPDA shows.

Fast tests (8×8 digits and synthetic images):

* the torch JPEG codec matches Pillow's encoder + decoder (grayscale and RGB 4:4:4) to a small
  fraction of the change JPEG itself makes; the quantisation tables follow libjpeg's scaling;
* bit-depth reduction keeps 2^bits levels; the median filter equals SciPy's;
* batched = one image at a time; outputs stay in [0, 1];
* the defended model's input gradient is zero (JPEG, bit depth) while the BPDA model has the
  same forward pass and a non-zero gradient; cost is measured.

Slow tests (Fashion-MNIST baseline, ≈88% clean, PGD-20 at L∞ ε = 0.1, 500 test images):

* plain PGD reports JPEG (quality 75) and 2-bit reduction as robust; BPDA brings JPEG back to
  within a few points of the undefended model and leaves 2-bit reduction a genuine but modest
  gain (the figures are printed for the report).
"""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image
from scipy.ndimage import median_filter

from safedl.attacks.evasion.adaptive import adaptive_run
from safedl.defenses.base import DefendedModel, DefenseContext
from safedl.defenses.cost import measure_cost
from safedl.defenses.input.bit_depth import Quantize
from safedl.defenses.input.jpeg import JPEGCompression, quant_table
from safedl.defenses.input.median import MedianFilter
from safedl.models import ModelAdapter
from safedl.registry import ATTACKS, DEFENSES


def _pillow_jpeg(x: torch.Tensor, quality: int) -> torch.Tensor:
    """Pillow's JPEG round trip of a batch (4:4:4 for RGB), back to [0, 1]."""
    out = []
    for img in x:
        arr = (img.clamp(0, 1) * 255).round().byte().permute(1, 2, 0).numpy()
        mode = "L" if arr.shape[2] == 1 else "RGB"
        pil = Image.fromarray(arr[:, :, 0] if mode == "L" else arr, mode)
        buf = io.BytesIO()
        pil.save(buf, format="JPEG", quality=quality, subsampling=0)
        back = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert(mode), np.float32)
        out.append(torch.from_numpy(back.reshape(arr.shape)).permute(2, 0, 1))
    return torch.stack(out) / 255


def _smooth_images(n: int, c: int, size: int) -> torch.Tensor:
    torch.manual_seed(0)
    coarse = torch.rand(n, c, size // 4, size // 4)
    return torch.nn.functional.interpolate(coarse, size=(size, size), mode="bilinear")


@pytest.mark.parametrize("quality", [30, 75])
@pytest.mark.parametrize("channels", [1, 3])
def test_jpeg_matches_pillow(quality: int, channels: int) -> None:
    x = _smooth_images(16, channels, 30)  # 30 is not a multiple of 8: edge padding too
    ours, pillow = JPEGCompression(quality)(x), _pillow_jpeg(x, quality)
    disagreement = (ours - pillow).abs().mean()
    change = (pillow - x).abs().mean()
    assert float(disagreement) < 0.1 * float(change), (float(disagreement), float(change))
    assert float(((ours - pillow).abs() * 255 > 1.5).float().mean()) < 0.1


def test_quantisation_tables_follow_libjpeg() -> None:
    assert quant_table(((16,) * 8,) * 8, 50)[0, 0] == 16  # quality 50 is the base table
    luma75 = quant_table(((16, 11), (12, 12)), 75)  # scale 50: (16·50 + 50) // 100 = 8
    assert luma75.tolist() == [[8.0, 6.0], [6.0, 6.0]]
    assert quant_table(((99,),), 1)[0, 0] == 255  # baseline clamp
    assert quant_table(((1,),), 100)[0, 0] == 1


def test_quantize_keeps_two_to_the_bits_levels() -> None:
    x = torch.rand(4, 1, 8, 8)
    out = Quantize(2)(x)
    assert set(torch.unique(out * 3).round().tolist()) <= {0.0, 1.0, 2.0, 3.0}
    assert float((out - x).abs().max()) <= 1 / 6 + 1e-6


def test_median_filter_equals_scipy() -> None:
    x = torch.rand(3, 2, 9, 11)
    ours = MedianFilter(3)(x)
    # torch's 'reflect' padding (d c b | a b c d) is SciPy's 'mirror'
    ref = median_filter(x.numpy(), size=(1, 1, 3, 3), mode="mirror")
    assert torch.allclose(ours, torch.from_numpy(ref))


@pytest.mark.parametrize(
    "transform", [JPEGCompression(60), Quantize(3), MedianFilter(3)], ids=["jpeg", "bits", "med"]
)
def test_transforms_are_batched_and_stay_in_the_unit_box(transform: torch.nn.Module) -> None:
    x = torch.rand(6, 1, 28, 28)
    batched = transform(x)
    single = torch.cat([transform(x[i : i + 1]) for i in range(len(x))])
    assert torch.allclose(batched, single, atol=1e-6)
    assert batched.shape == x.shape
    assert float(batched.min()) >= 0.0 and float(batched.max()) <= 1.0


@pytest.mark.parametrize(
    ("name", "params"),
    [("jpeg", {"quality": 50}), ("bit_depth_reduction", {"bits": 2}), ("median", {})],
)
def test_defended_model_masks_gradients_and_bpda_restores_them(
    digits_ctx: DefenseContext, name: str, params: dict[str, int]
) -> None:
    defended = DEFENSES.create(name, params, seed=0).apply(digits_ctx)
    assert defended.kind == "input"
    assert defended.adaptive.differentiable is (name == "median")  # the median's is exact a.e.
    assert defended.bpda_model is not None
    x = digits_ctx.splits.test.x[:32]
    y = digits_ctx.splits.test.y[:32]
    with torch.no_grad():
        assert torch.allclose(defended.model.logits(x), defended.bpda_model.logits(x))
    grads = []
    for model in (defended.model, defended.bpda_model):
        with model.attack_mode():
            z = x.clone().requires_grad_(True)
            loss = torch.nn.functional.cross_entropy(model.logits(z), y)
            (g,) = torch.autograd.grad(loss, z)
        grads.append(float(g.abs().max()))
    if name != "median":  # piecewise constant: the true gradient is zero
        assert grads[0] == 0.0
    assert grads[1] > 0.0
    # the baseline is untouched, the defense is not free, and its cost is measured
    assert defended.model.module is not digits_ctx.baseline.module
    assert defended.cost.train_seconds == 0.0
    assert defended.cost.latency_ms > 0 and defended.cost.baseline_latency_ms > 0
    assert 0 <= defended.metrics["clean_accuracy"]["value"] <= 1


def test_bpda_breaks_bit_depth_reduction_on_digits(digits_ctx: DefenseContext) -> None:
    defended = DEFENSES.create("bit_depth_reduction", {"bits": 2}, seed=0).apply(digits_ctx)
    data = digits_ctx.splits.test.subset(torch.arange(200))
    pgd = {"eps": 0.1, "steps": 20, "step_size": 0.01}
    plain = ATTACKS.create("pgd", pgd, seed=0).run(defended.model, data)
    adaptive = adaptive_run(ATTACKS.create("pgd", pgd, seed=0), defended, data)
    assert adaptive.view == "bpda"
    assert adaptive.zero_gradient_share == 1.0 and adaptive.view_zero_gradient_share < 0.1
    assert adaptive.forward_agreement.value == 1.0
    assert adaptive.robust_accuracy.value < plain.robust_accuracy.value - 0.1


# ---- slow: Fashion-MNIST --------------------------------------------------------------------

PGD20 = {"eps": 0.1, "steps": 20, "step_size": 0.01}


def _fashion_eval(ctx: DefenseContext, defended: DefendedModel) -> dict[str, float]:
    data = ctx.splits.test.subset(torch.arange(500))
    plain = ATTACKS.create("pgd", PGD20, seed=0).run(defended.model, data)
    bpda = adaptive_run(ATTACKS.create("pgd", {**PGD20, "steps": 50}, seed=0), defended, data)
    base = ATTACKS.create("pgd", PGD20, seed=0).run(ctx.baseline, data)
    figures = {
        "baseline_pgd": base.robust_accuracy.value,
        "clean": bpda.clean_accuracy.value,
        "plain_pgd": plain.robust_accuracy.value,
        "bpda_pgd": bpda.robust_accuracy.value,
    }
    print(defended.defense, defended.params, {k: f"{v:.1%}" for k, v in figures.items()})
    print("  cost", defended.cost.to_dict())
    return figures


@pytest.mark.slow
def test_jpeg_looks_robust_until_bpda(fashion_ctx: DefenseContext) -> None:
    defended = DEFENSES.create("jpeg", {"quality": 75}, seed=0).apply(fashion_ctx)
    f = _fashion_eval(fashion_ctx, defended)
    assert f["plain_pgd"] > f["baseline_pgd"] + 0.3  # gradient masking looks like robustness
    assert f["bpda_pgd"] < f["baseline_pgd"] + 0.1  # ... which BPDA takes away


@pytest.mark.slow
def test_two_bit_reduction_keeps_a_modest_gain_under_bpda(fashion_ctx: DefenseContext) -> None:
    defended = DEFENSES.create("bit_depth_reduction", {"bits": 2}, seed=0).apply(fashion_ctx)
    f = _fashion_eval(fashion_ctx, defended)
    assert f["plain_pgd"] > 0.6  # plain PGD sees zero gradients
    assert f["bpda_pgd"] < f["plain_pgd"] - 0.2  # far less than plain PGD reports
    assert f["bpda_pgd"] > f["baseline_pgd"] + 0.1  # but a genuine gain: room is removed


@pytest.mark.parametrize(
    "transform", [JPEGCompression(75), Quantize(2), MedianFilter(3)], ids=["jpeg", "bits", "med"]
)
def test_each_transform_costs_measurable_latency(transform: torch.nn.Module) -> None:
    """In front of a cheap linear classifier the transformation's own cost shows: ratio > 1.

    (In front of the Fashion-MNIST CNN, bit-depth reduction costs less than the timing noise;
    the report gives the measured figures.)
    """
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(28 * 28, 10))
    baseline = ModelAdapter(net, input_shape=(1, 28, 28), num_classes=10)
    defended = ModelAdapter(
        torch.nn.Sequential(transform, net), input_shape=(1, 28, 28), num_classes=10
    )
    cost = measure_cost(defended, baseline, torch.rand(1024, 1, 28, 28), train_seconds=0.0)
    assert cost.latency_ratio > 1.0, cost.to_dict()
