"""Validity checks pass on an honest evaluation and fail on the flaws they target."""

from __future__ import annotations

import torch
from torch import nn

from safedl.assess.validity import (
    check_blackbox_vs_whitebox,
    check_bounds,
    check_convergence,
    check_determinism,
    check_gradients,
    check_large_eps,
    run_checks,
)
from safedl.data import TensorData
from safedl.models import ModelAdapter
from safedl.registry import ATTACKS
from safedl.results import EvasionEntry, unreliable_because


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


def rate(value: float, n: int = 100) -> dict[str, float | int]:
    return {"value": value, "low": value, "high": value, "k": round(value * n), "n": n}


def result(attack: str, robust: float, eps: float = 0.1, **extra: object) -> EvasionEntry:
    return EvasionEntry.model_validate(
        {
            "attack": attack,
            "unit": f"attack-{attack}-{eps}-{robust}",
            "access": ATTACKS.get(attack).access,
            "params": {"eps": eps, "norm": "linf"},
            "clean_accuracy": rate(1.0),
            "robust_accuracy": rate(robust),
            "attack_success_rate": rate(1 - robust),
            **extra,
        }
    )


def entry_of(res: object, attack: str) -> EvasionEntry:
    """A finished attack's result as the typed entry the service would store."""
    data = res.to_dict()  # type: ignore[attr-defined]
    return EvasionEntry.model_validate(
        {**data, "unit": f"attack-{attack}", "access": ATTACKS.get(attack).access}
    )


def test_honest_evaluation_passes(trained_digits: tuple[ModelAdapter, TensorData]) -> None:
    model, data = trained_digits
    res = entry_of(ATTACKS.create("pgd", {"eps": 0.2, "steps": 20}).run(model, data), "pgd")
    findings = run_checks(model, data, [res], seed=0)
    assert {f.id for f in findings} == {"VC01", "VC02", "VC03", "VC04", "VC05", "VC06"}
    assert all(f.status != "fail" for f in findings), [f.model_dump() for f in findings]
    basic = run_checks(model, data, [res], seed=0, level="basic")
    assert {f.id for f in basic} == {"VC01", "VC02", "VC05", "VC06"}


def test_masked_gradients_flagged(trained_digits: tuple[ModelAdapter, TensorData]) -> None:
    model, data = trained_digits
    masked = wrap(Masked(model.module), model)
    finding = check_gradients(masked, data, name="masked")
    assert finding.status == "fail" and finding.model_level and finding.model == "masked"
    assert check_large_eps(masked, data, seed=0).status == "fail"
    assert check_gradients(model, data).status == "pass"
    # A failed model-level finding concerns every evasion result on that model, no other.
    assert unreliable_because("attack-x", "evasion", "masked", [finding]) == ["VC01"]
    assert unreliable_because("attack-x", "evasion", "baseline", [finding]) == []
    assert unreliable_because("attack-x", "backdoor", "masked", [finding]) == []


def test_nondeterminism_flagged(trained_digits: tuple[ModelAdapter, TensorData]) -> None:
    model, data = trained_digits
    assert check_determinism(wrap(Noisy(model.module), model), data).status == "fail"
    assert check_determinism(model, data).status == "pass"


def test_blackbox_beating_whitebox_flagged() -> None:
    ok = check_blackbox_vs_whitebox([result("pgd", 0.30), result("square", 0.31)])
    bad = check_blackbox_vs_whitebox([result("pgd", 0.30), result("square", 0.10)])
    other_budget = check_blackbox_vs_whitebox([result("pgd", 0.3), result("square", 0.1, 0.2)])
    assert ATTACKS.get("square").access == "scores"
    assert ok.status == "pass" and bad.status == "fail"
    assert bad.concerns == ["attack-square-0.1-0.1"]
    assert other_budget.status == "not_applicable"


def test_unconverged_attack_flagged(trained_digits: tuple[ModelAdapter, TensorData]) -> None:
    model, data = trained_digits
    weak = ATTACKS.create("pgd", {"eps": 0.15, "steps": 1, "random_start": False}).run(model, data)
    finding = check_convergence(model, data, [entry_of(weak, "pgd")], seed=0)
    assert finding.status == "fail" and finding.concerns == ["attack-pgd"]


def test_bounds_and_marking() -> None:
    results = [result("pgd", 0.2), result("fgsm", 0.3, within_bounds=False)]
    finding = check_bounds(results)
    assert finding.status == "fail" and finding.concerns == [results[1].unit]
    # Findings reference results; whether a result is reliable is derived, never written.
    assert unreliable_because(results[0].unit, "evasion", "baseline", [finding]) == []
    assert unreliable_because(results[1].unit, "evasion", "baseline", [finding]) == ["VC06"]
    assert "reliable" not in results[1].model_dump()
