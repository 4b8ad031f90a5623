"""Measured defense cost: latency against the baseline, memory, training time."""

from __future__ import annotations

import time

import pytest
import torch
from torch import nn

from safedl.defenses.cost import Stopwatch, measure_cost, measure_latency, module_bytes
from safedl.models import ModelAdapter


class _Slow(nn.Module):
    """Runs the wrapped module ``times`` times: a defended model that is truly slower."""

    def __init__(self, inner: nn.Module, times: int) -> None:
        super().__init__()
        self.inner = inner
        self.times = times
        self.register_buffer("table", torch.zeros(1024, 256))  # 1 MiB of extra state

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.inner(x)
        for _ in range(self.times - 1):
            out = out + 0 * self.inner(x)
        return out


def _adapter(module: nn.Module) -> ModelAdapter:
    return ModelAdapter(module, input_shape=(1, 8, 8), num_classes=10)


def _net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(16 * 64, 10)
    )


def test_latency_ratio_reflects_a_slower_model_and_memory_its_extra_state() -> None:
    base_net = _net()
    baseline = _adapter(base_net)
    defended = _adapter(_Slow(base_net, times=6))
    probe = torch.rand(512, 1, 8, 8)
    cost = measure_cost(defended, baseline, probe, train_seconds=1.5, baseline_train_seconds=3.0)
    assert cost.latency_ms > 0 and cost.baseline_latency_ms > 0
    assert cost.latency_ratio > 2.0, cost.to_dict()
    # the wrapped network is shared, so only the 1 MiB buffer is extra
    assert cost.extra_memory_mb == pytest.approx(1.0)
    assert cost.to_dict()["train_seconds"] == 1.5
    assert cost.to_dict()["baseline_train_seconds"] == 3.0


def test_the_same_model_costs_about_the_same() -> None:
    model = _adapter(_net())
    ms = measure_latency({"a": model, "b": model}, torch.rand(512, 1, 8, 8), repeats=7)
    assert 0.5 < ms["a"] / ms["b"] < 2.0


def test_module_bytes_counts_parameters_and_buffers_once() -> None:
    lin = nn.Linear(10, 10)  # 110 float32
    shared = nn.Sequential(lin, lin)
    assert module_bytes(lin) == 110 * 4
    assert module_bytes(shared) == 110 * 4
    bn = nn.BatchNorm1d(4)  # weight, bias, running mean/var (float32), num_batches (int64)
    assert module_bytes(bn) == 4 * 4 * 4 + 8


def test_stopwatch_measures_the_block() -> None:
    with Stopwatch() as clock:
        time.sleep(0.05)
    assert 0.04 < clock.seconds < 1.0


def test_empty_probe_is_refused() -> None:
    model = _adapter(_net())
    with pytest.raises(ValueError, match="no images"):
        measure_latency({"m": model}, torch.rand(0, 1, 8, 8))
