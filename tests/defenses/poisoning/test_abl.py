"""Anti-backdoor learning: its losses, and what it does against BadNets 10% on digits.

Measured (digits, small_cnn, BadNets 10%, seed 0; isolation 5 epochs, γ = 0.5, 1% isolated,
12 clean epochs, 5 unlearning epochs at 5e-4): none of the 13 isolated samples was poisoned
(precision 0%), the attack success stays 95% and clean accuracy falls to 88.9%. On 8×8 digits
clean samples are learnt as fast as the poisons, so the lowest-loss isolation does not
separate them; we report it rather than tune it (BackdoorBench: 0% ASR on CIFAR-10).
"""

from __future__ import annotations

import pytest
import torch

from safedl.defenses.training.abl import ascent_loss, lga_loss
from safedl.errors import ConfigError
from safedl.registry import DEFENSES

from .conftest import Measure


def test_lga_descends_above_gamma_and_ascends_below() -> None:
    x = torch.zeros(2, 3, requires_grad=True)
    y = torch.tensor([0, 1])

    def logits(z: torch.Tensor) -> torch.Tensor:
        return z

    for gamma, sign in ((10.0, -1.0), (0.01, 1.0)):  # every loss below / above γ
        x.grad = None
        lga_loss(gamma)(logits, x, y).backward()
        assert x.grad is not None
        ce_grad = torch.autograd.grad(
            torch.nn.functional.cross_entropy(x * 1, y), x, retain_graph=False
        )[0]
        assert torch.allclose(x.grad, sign * ce_grad)
    assert float(ascent_loss(logits, x.detach(), y)) < 0


def test_abl_reports_its_isolation_against_the_truth(measure: Measure) -> None:
    r = measure("badnets", {"poison_fraction": 0.1}, "abl")
    d = r["detection"]
    assert d["flagged"] == r["metrics"]["isolated"] == round(0.01 * 1294)
    assert d["precision"]["n"] == d["flagged"] and d["recall"]["n"] == r["poison_count"]
    assert r["defended"]["attack_success_rate"] is not None


def test_abl_config_is_checked() -> None:
    with pytest.raises(ConfigError):
        DEFENSES.create("abl", {"isolation_ratio": 0})
