"""VC07: a robust accuracy above the best published figure for its dataset and budget fails."""

from __future__ import annotations

from safedl.assess.published import check_published
from safedl.results import AttackEntry, parse_entry


def _pgd(robust: float, eps: float = 0.1, unit: str = "u1") -> AttackEntry:
    rate = {"value": robust, "low": robust, "high": robust, "k": int(robust * 100), "n": 100}
    return parse_entry(
        {
            "attack": "pgd",
            "family": "evasion",
            "unit": unit,
            "params": {"eps": eps, "norm": "linf"},
            "n": 100,
            "clean_accuracy": {"value": 0.9, "low": 0.9, "high": 0.9, "k": 90, "n": 100},
            "robust_accuracy": rate,
            "attack_success_rate": {"value": 0.1, "low": 0.1, "high": 0.1, "k": 9, "n": 90},
        }
    )


def test_above_the_fashion_mnist_ceiling_fails_and_names_the_result() -> None:
    f = check_published([_pgd(0.85, unit="suspect"), _pgd(0.7, unit="fine")], "fashion_mnist")
    assert f.status == "fail" and f.concerns == ["suspect"]
    assert "85.0%" in f.finding and "80%" in f.finding


def test_within_the_ceiling_or_at_a_smaller_budget_passes() -> None:
    assert check_published([_pgd(0.72)], "fashion-mnist").status == "pass"
    # the ceiling holds for budgets at least as large as its own: ε = 0.05 is not covered
    assert check_published([_pgd(0.9, eps=0.05)], "fashion_mnist").status == "pass"
    assert check_published([_pgd(0.9, eps=0.2)], "fashion_mnist").status == "fail"


def test_a_dataset_without_a_recorded_ceiling_is_not_applicable() -> None:
    assert check_published([_pgd(0.99)], "digits").status == "not_applicable"
