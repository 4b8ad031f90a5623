"""Metrics: Wilson intervals against known values, norms."""

from __future__ import annotations

import pytest
import torch

from safedl.evaluation.metrics import norm_summary, rate, rate_of, wilson_interval


def test_wilson_interval_known_values() -> None:
    # Reference: Wilson score interval for 81/263 at 95% is [0.2553, 0.3662].
    low, high = wilson_interval(81, 263)
    assert low == pytest.approx(0.2553, abs=1e-4)
    assert high == pytest.approx(0.3662, abs=1e-4)
    assert wilson_interval(0, 10)[0] == 0.0
    assert wilson_interval(10, 10)[1] == 1.0
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_interval_shrinks_with_n_and_contains_value() -> None:
    small, big = rate(5, 10), rate(500, 1000)
    assert small.low < 0.5 < small.high
    assert big.high - big.low < small.high - small.low
    with pytest.raises(ValueError):
        wilson_interval(11, 10)


def test_rate_of_mask() -> None:
    r = rate_of(torch.tensor([True, False, True, True]))
    assert (r.k, r.n, r.value) == (3, 4, 0.75)


def test_norm_summary() -> None:
    delta = torch.zeros(2, 1, 2, 2)
    delta[0, 0, 0, 0] = 0.3
    delta[1, 0, :, :] = 0.1
    s = norm_summary(delta)
    assert s["l0"]["mean"] == pytest.approx(2.5)
    assert s["linf"]["mean"] == pytest.approx(0.2)
    assert s["l2"]["mean"] == pytest.approx((0.3 + 0.2) / 2)
