"""STRIP against BadNets 10% on digits, and the entropy it computes.

Measured (N = 100 replicas, pixel-sum blend as in the paper, calibrated on the 144 clean
validation images; seeds 0 / 1 / 2 of the victim): with the paper's boundary — the 1%
percentile of a normal fitted to the clean entropies — the realised FRR on the 359 clean test
images is 1.4 / 1.1 / 1.4% and the **FAR is 0%** on all three (none of the 323 triggered test
images passes; the paper: 1.85% on MNIST). The empirical 1% quantile of 144 images (the second
lowest) gave FRR 0.6 / 0.6 / 0% and FAR 3.7 / 0 / 0% here, and 8.7% on another machine: the
boundary then rests on one or two draws. The normal fit is not exact: on the clean model it
rejects 2.8 / 1.1 / 2.2% (the entropies are skewed), and on Fashion-MNIST
(``test_fashion_mnist.py``) it sits below the empirical quantile (FRR 0%, FAR 3.0% against 1.5%
/ 1.7%). The mean-of-two-images blend is far worse on digits (FAR 89%, measured with the
empirical-quantile boundary: averaging halves the white patch). Overhead: one answer costs N =
100 forward passes (≈100–120× a plain prediction on one core; the paper's 1.32× is for N = 10
on a GPU).
"""

from __future__ import annotations

import math

import pytest
import torch

from safedl.defenses.detectors.strip import boundary, far_frr_curve, strip_entropy
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
    rows = far_frr_curve(clean, clean, trig, calibration="quantile")
    fars = [r["far"]["value"] for r in rows]
    assert fars == sorted(fars, reverse=True) and fars[0] == 0  # separated: every trigger caught
    fars = [r["far"]["value"] for r in far_frr_curve(clean, clean, trig)]
    assert fars == sorted(fars, reverse=True)


def test_strip_detects_the_badnets_trigger(measure: Measure) -> None:
    r = measure("badnets", {"poison_fraction": 0.1}, "strip")
    d = r["detection"]
    assert d["frr"]["value"] <= 0.03, d["frr"]  # calibrated to 1% on validation
    assert d["far"]["value"] <= 0.05, d["far"]  # the bar; measured 0%
    assert d["far"]["n"] == int(r["baseline"]["attack_success_rate"]["n"])
    fars = [row["far"]["value"] for row in d["curve"]]
    assert fars[-1] <= fars[0]
    assert r["defended"]["attack_success_rate"]["value"] <= 0.05
    assert (
        r["defended"]["clean_accuracy"]["value"] >= r["baseline"]["clean_accuracy"]["value"] - 0.03
    )
    assert r["cost"]["latency_ratio"] > 1  # N replicas per answer are not free
    assert r["metrics"]["overhead"] > 1


def test_strip_on_a_clean_model_rejects_about_the_calibrated_share(measure: Measure) -> None:
    r = measure(None, None, "strip")
    d = r["detection"]
    # the normal fit over-rejects a little on skewed clean entropies: measured 1.1-2.8%
    assert "far" not in d and d["frr"]["value"] <= 0.04, d["frr"]
    assert r["defended"]["attack_success_rate"] is None


def test_the_boundary_is_the_fitted_normals_percentile_or_the_empirical_quantile() -> None:
    clean = torch.linspace(0, 1, 101, dtype=torch.float64)
    mu, sd = float(clean.mean()), float(clean.std())
    assert boundary(clean, 0.5) == pytest.approx(mu)
    assert boundary(clean, 0.0228) == pytest.approx(mu - 2 * sd, abs=1e-3)
    assert boundary(clean, 0.01, "quantile") == pytest.approx(0.01)
    assert boundary(torch.ones(5), 0.01) == 1.0  # no spread: the quantile


def test_strip_config_is_checked() -> None:
    with pytest.raises(ConfigError):
        DEFENSES.create("strip", {"frr": 0})
    with pytest.raises(ConfigError):
        DEFENSES.create("strip", {"replicas": 1})


def test_a_blended_trigger_survives_superimposition(measure: Measure) -> None:
    """Adaptive variant: the blended backdoor (α = 0.2 noise over the whole image) at 10%.

    Measured (seed 0): FAR 19.8% at the same boundary (FRR 2.0% realised), against 0% for
    the BadNets patch; with the empirical-quantile boundary 69% against 3.7% — the additive
    overlay saturates a patch but not a low-contrast blend, so replicas keep disagreeing and
    the entropy stays clean-like.
    """
    plain = measure("badnets", {"poison_fraction": 0.1}, "strip")
    blended = measure("blend", {"poison_fraction": 0.1}, "strip")
    assert blended["baseline"]["attack_success_rate"]["value"] >= 0.9
    far_p, far_b = plain["detection"]["far"]["value"], blended["detection"]["far"]["value"]
    assert far_b > far_p + 0.1, (far_p, far_b)
