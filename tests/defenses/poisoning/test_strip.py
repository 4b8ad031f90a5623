"""STRIP against BadNets 10% on digits, and the entropy it computes.

Measured (N = 100 replicas, pixel-sum blend as in the paper, calibrated on the 144 clean
validation images, seed 0): at a target FRR of 1% the realised FRR on the 359 clean test
images is 0.6% and the **FAR is 8.7%** (28 of 323 triggered test images pass) — above the
paper's 1.85% on MNIST and above the issue's 5% goal. We report ours rather than tune the
test: the 8×8 digits give a 2×2 trigger and a calibration set of 144 images, whose 1%
quantile is the second-lowest clean entropy. On 28×28 Fashion-MNIST (3×3 patch, 2 000
calibration images; ``test_fashion_mnist.py``, slow) the same code measures FAR 1.7% at a
realised FRR of 1.1% — the paper's figure. The mean-of-two-images blend is far worse on
digits (FAR 89%: averaging halves the white patch). Overhead: one answer costs N = 100
forward passes (≈100–120× a plain prediction on one core; the paper's 1.32× is for N = 10
on a GPU). The assertion keeps a margin over our measured figure, not the paper's.
"""

from __future__ import annotations

import math

import pytest
import torch

from safedl.defenses.detectors.strip import far_frr_curve, strip_entropy
from safedl.errors import ConfigError
from safedl.registry import DEFENSES

from .conftest import Measure


def test_entropy_is_over_the_classes_per_replica_then_averaged() -> None:
    k, n = 10, 8
    one_hot_scattered = torch.eye(k)[torch.arange(n) % k][None]  # confident, varying class
    uniform = torch.full((1, n, k), 1 / k)
    h = strip_entropy(torch.cat([one_hot_scattered, uniform]))
    # confident replicas have zero entropy even when their classes differ (ART's other axis
    # would score them high); uniform replicas reach log2(K)
    assert float(h[0]) == pytest.approx(0.0, abs=1e-6)
    assert float(h[1]) == pytest.approx(math.log2(k), rel=1e-6)


def test_far_frr_curve_is_monotone() -> None:
    gen = torch.Generator().manual_seed(0)
    clean = torch.rand(500, generator=gen) + 1
    trig = torch.rand(200, generator=gen)
    rows = far_frr_curve(clean, clean, trig)
    fars = [r["far"]["value"] for r in rows]
    assert fars == sorted(fars, reverse=True) and fars[0] == 0


def test_strip_detects_the_badnets_trigger(measure: Measure) -> None:
    r = measure("badnets", {"poison_fraction": 0.1}, "strip")
    d = r["detection"]
    assert d["frr"]["value"] <= 0.03, d["frr"]  # calibrated to 1% on validation
    assert d["far"]["value"] <= 0.15, d["far"]  # measured 8.7% (see the docstring)
    assert d["far"]["n"] == int(r["baseline"]["attack_success_rate"]["n"])
    fars = [row["far"]["value"] for row in d["curve"]]
    assert fars[-1] <= fars[0]
    assert r["defended"]["attack_success_rate"]["value"] <= 0.15
    assert (
        r["defended"]["clean_accuracy"]["value"] >= r["baseline"]["clean_accuracy"]["value"] - 0.03
    )
    assert r["cost"]["latency_ratio"] > 1  # N replicas per answer are not free
    assert r["metrics"]["overhead"] > 1


def test_strip_on_a_clean_model_rejects_about_the_calibrated_share(measure: Measure) -> None:
    r = measure(None, None, "strip")
    d = r["detection"]
    assert "far" not in d and d["frr"]["value"] <= 0.03
    assert r["defended"]["attack_success_rate"] is None


def test_strip_config_is_checked() -> None:
    with pytest.raises(ConfigError):
        DEFENSES.create("strip", {"frr": 0})
    with pytest.raises(ConfigError):
        DEFENSES.create("strip", {"replicas": 1})


def test_a_blended_trigger_survives_superimposition(measure: Measure) -> None:
    """Adaptive variant: the blended backdoor (α = 0.2 noise over the whole image) at 10%.

    Measured: FAR 62.5% at the same calibrated FRR (0.8% realised), against 8.7% for the
    BadNets patch — the additive overlay saturates a patch but not a low-contrast blend, so
    replicas keep disagreeing and the entropy stays clean-like.
    """
    plain = measure("badnets", {"poison_fraction": 0.1}, "strip")
    blended = measure("blend", {"poison_fraction": 0.1}, "strip")
    assert blended["baseline"]["attack_success_rate"]["value"] >= 0.9
    far_p, far_b = plain["detection"]["far"]["value"], blended["detection"]["far"]["value"]
    assert far_b > far_p + 0.3, (far_p, far_b)
