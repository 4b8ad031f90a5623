"""Validity checks pass on an honest evaluation and fail on the flaws they target."""

from __future__ import annotations

import torch
from torch import nn

from safedl.data import TensorData
from safedl.evaluation.validity import (
    check_blackbox_vs_whitebox,
    check_bounds,
    check_convergence,
    check_determinism,
    check_gradients,
    check_large_eps,
    mark_unreliable,
    run_checks,
)
from safedl.models import ModelAdapter
from safedl.registry import ATTACKS


class Masked(nn.Module):
    """Quantises its input: zero gradients everywhere (classic gradient masking)."""

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q = torch.round(x * 4) / 4
        return self.inner(q.detach() + 0 * x)


class Noisy(nn.Module):
    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.inner(x) + torch.randn(x.shape[0], 10)


def wrap(module: nn.Module, like: ModelAdapter) -> ModelAdapter:
    return ModelAdapter(module, input_shape=like.input_shape, num_classes=10, device="cpu")


def result(attack: str, robust: float, eps: float = 0.1, **extra: object) -> dict:
    return {
        "attack": attack,
        "status": "done",
        "params": {"eps": eps, "norm": "linf"},
        "robust_accuracy": {"value": robust},
        "within_bounds": True,
        **extra,
    }


def test_honest_evaluation_passes(trained_digits: tuple[ModelAdapter, TensorData]) -> None:
    model, data = trained_digits
    res = ATTACKS.create("pgd", {"eps": 0.2, "steps": 20}).run(model, data).to_dict()
    res["status"] = "done"
    findings = run_checks(model, data, [res], seed=0)
    assert {f.id for f in findings} == {"VC01", "VC02", "VC03", "VC04", "VC05", "VC06"}
    assert all(f.status != "fail" for f in findings), [f.to_dict() for f in findings]


def test_masked_gradients_flagged(trained_digits: tuple[ModelAdapter, TensorData]) -> None:
    model, data = trained_digits
    masked = wrap(Masked(model.module), model)
    assert check_gradients(masked, data).status == "fail"
    assert check_large_eps(masked, data, seed=0).status == "fail"
    assert check_gradients(model, data).status == "pass"


def test_nondeterminism_flagged(trained_digits: tuple[ModelAdapter, TensorData]) -> None:
    model, data = trained_digits
    assert check_determinism(wrap(Noisy(model.module), model), data).status == "fail"
    assert check_determinism(model, data).status == "pass"


def test_blackbox_beating_whitebox_flagged() -> None:
    ok = check_blackbox_vs_whitebox([result("pgd", 0.30), result("square", 0.31)])
    bad = check_blackbox_vs_whitebox([result("pgd", 0.30), result("square", 0.10)])
    other_budget = check_blackbox_vs_whitebox([result("pgd", 0.3), result("square", 0.1, 0.2)])
    assert ATTACKS.get("square").access == "scores"
    assert ok.status == "pass" and bad.status == "fail" and bad.attacks == [1]
    assert other_budget.status == "not_applicable"


def test_unconverged_attack_flagged(trained_digits: tuple[ModelAdapter, TensorData]) -> None:
    model, data = trained_digits
    weak = ATTACKS.create("pgd", {"eps": 0.15, "steps": 1, "random_start": False}).run(model, data)
    res = weak.to_dict() | {"status": "done"}
    finding = check_convergence(model, data, [res], seed=0)
    assert finding.status == "fail" and finding.attacks == [0]


def test_bounds_and_marking() -> None:
    results = [result("pgd", 0.2), result("fgsm", 0.3, within_bounds=False)]
    finding = check_bounds(results)
    assert finding.status == "fail" and finding.attacks == [1]
    mark_unreliable(results, [finding])
    assert results[0]["reliable"] is True
    assert results[1]["reliable"] is False and results[1]["unreliable_because"] == ["VC06"]
