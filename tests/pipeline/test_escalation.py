"""Escalation: a model with masked gradients (VC01) is attacked again, the way masking cannot fool.

The model quantises its input with a rounding step whose gradient is zero (the shape of
gradient masking); it declares the straight-through approximation of itself through
``bpda_module()``. Plain PGD sees no gradient and reports the clean accuracy as robust; the
attack stage must notice (VC01), add Square at 5 000 queries, transfer and BPDA, and the worst
case must come down to what BPDA reaches.
"""

from __future__ import annotations

import pytest

from safedl.pipeline.run import run_profile
from safedl.profiles import profile_from_dict

FACTORY = """
import torch
from torch import nn


class Round(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return torch.round(x * 3) / 3

    @staticmethod
    def backward(ctx, grad):
        return torch.zeros_like(grad)  # the masked gradient


class Quantised(nn.Module):
    def __init__(self, num_classes, straight_through=False, net=None):
        super().__init__()
        self.straight_through = straight_through
        self.net = net or nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(16 * 64, num_classes)
        )

    def forward(self, x):
        if self.straight_through:
            q = x + (torch.round(x * 3) / 3 - x).detach()
        else:
            q = Round.apply(x)
        return self.net(q)

    def bpda_module(self):
        return Quantised(0, straight_through=True, net=self.net)


def build(num_classes):
    return Quantised(num_classes)
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("escalation")
    (root / "quantised.py").write_text(FACTORY)
    profile = {
        "name": "masked",
        "dataset": {"name": "digits"},
        "model": {"name": f"{root / 'quantised.py'}:build"},
        "training": {"epochs": 6, "batch_size": 64, "lr": 0.003},
        "attacks": [{"name": "pgd", "params": {"eps": 0.15, "steps": 10}}],
        "evaluation": {"samples": 60, "check_samples": 30, "curves": False},
    }
    return run_profile(profile_from_dict(profile), out=root / "run")


def test_masked_gradients_trigger_square_transfer_and_bpda(run) -> None:  # type: ignore[no-untyped-def]
    result = run.record.result("attacks")
    vc01 = next(f for f in result["validity"] if f["id"] == "VC01")
    assert vc01["status"] == "fail"
    assert result["escalation"]["because"] == ["VC01"]
    added = [a for a in result["attacks"] if a["adaptive"]]
    kinds = {(a["attack"], a.get("view")) for a in added}
    assert kinds == {("square", None), ("transfer", None), ("pgd", "adaptive")}
    square = next(a for a in added if a["attack"] == "square")
    assert square["params"]["max_queries"] == 5000
    assert all(a["adaptive_reason"].startswith("escalated: VC01") for a in added)


def test_the_worst_case_comes_down_to_what_bpda_reaches(run) -> None:  # type: ignore[no-untyped-def]
    result = run.record.result("attacks")
    by = {(a["attack"], a.get("view"), a["adaptive"]): a for a in result["attacks"]}
    plain = by[("pgd", None, False)]["robust_accuracy"]["value"]
    bpda = by[("pgd", "adaptive", True)]["robust_accuracy"]["value"]
    (worst,) = result["worst_case"]
    assert set(worst["attacks"]) >= {"pgd", "square", "transfer"}
    # plain PGD is blind (its figure is the clean accuracy); BPDA is not
    assert bpda < plain - 0.2
    # the worst case over the escalated plan comes down with BPDA instead of keeping the
    # plan's blind figure
    assert worst["robust_accuracy"]["value"] < plain - 0.2
