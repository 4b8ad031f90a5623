"""``safedl compare`` shows each defended model's figures beside the other run's."""

from __future__ import annotations

import pytest

from safedl.reporting.compare import compare_records


def _rate(v: float) -> dict[str, float]:
    return {"value": v, "low": v - 0.05, "high": v + 0.05}


def _record(robust: float, auc: float) -> dict:
    model = {
        "model": "pgd_at",
        "clean": {"defended": _rate(0.9)},
        "budgets": [{"norm": "linf", "eps": 0.1, "robust_accuracy": _rate(robust)}],
        "privacy": [
            {"threat": "membership inference", "defended": {"metric": "auc", "value": auc}}
        ],
    }
    return {"stages": {"reevaluation": {"result": {"models": [model]}}}}


def test_defended_models_are_compared_row_by_row() -> None:
    diff = compare_records(_record(0.6, 0.55), _record(0.7, 0.52))
    rows = {r["what"]: r for r in diff["rows"] if r["section"] == "defenses"}
    robust = rows["pgd_at: robust accuracy (adaptive worst case), linf ε=0.1"]
    assert robust["a"] == 0.6 and robust["delta"] == pytest.approx(0.1)
    auc = rows["pgd_at: membership inference (auc)"]
    assert auc["unit"] == "auc" and auc["delta"] == pytest.approx(-0.03)
    assert rows["pgd_at: clean accuracy"]["delta"] == 0
    # a defense present in one run only still shows, with the other side empty
    only_a = compare_records(_record(0.6, 0.55), {"stages": {}})
    row = next(r for r in only_a["rows"] if r["what"] == "pgd_at: clean accuracy")
    assert row["b"] is None and row["delta"] is None
