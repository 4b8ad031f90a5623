"""Privacy and extraction in the re-evaluation: what runs again, what an output defense adds."""

from __future__ import annotations

import torch

from safedl.assess.reevaluate_privacy import (
    difference_interval,
    privacy_comparison,
    privacy_requests,
)
from safedl.defenses.base import AdaptiveNeeds, DefendedModel, DefenseCost
from safedl.models import ModelAdapter
from safedl.results import parse_entry


def _defended(output: str) -> DefendedModel:
    module = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 10))
    model = ModelAdapter(module, input_shape=(1, 8, 8), num_classes=10)
    return DefendedModel(
        defense="output_hardening" if output != "scores" else "dp_sgd",
        kind="output",
        params={},
        model=model,
        model_id="m",
        adaptive=AdaptiveNeeds(output=output),  # type: ignore[arg-type]
        cost=DefenseCost(train_seconds=0.0, latency_ms=1.0, baseline_latency_ms=1.0),
    )


def _rate(v: float, n: int = 100) -> dict[str, float | int]:
    return {
        "value": v,
        "low": max(0.0, v - 0.1),
        "high": min(1.0, v + 0.1),
        "k": int(v * n),
        "n": n,
    }


KNOCKOFF = {
    "attack": "knockoff",
    "family": "extraction",
    "params": {"max_queries": 300, "labels": "soft"},
    "label": "model stealing (Knockoff Nets)",
    "fidelity": _rate(0.9),
}
LIRA = {
    "attack": "lira",
    "family": "privacy",
    "params": {"shadows": 4},
    "label": "membership inference (LiRA)",
    "auc": 0.62,
    "auc_ci": [0.55, 0.69],
}


def _entries(*raw: dict, model: str = "baseline") -> list:
    return [parse_entry({**r, "model": model, "unit": f"u-{i}"}) for i, r in enumerate(raw)]


def test_an_output_defense_meets_the_hard_label_thief_and_label_only_inference() -> None:
    requests, skipped = privacy_requests(
        _entries(KNOCKOFF, LIRA), _defended("label"), recipe_known=True
    )
    assert skipped == []
    by = [(r.spec.name, r.spec.params.get("labels"), bool(r.adaptive)) for r in requests]
    # the soft-label thief meets a label-only model: it is re-run as the hard-label thief
    assert by == [("knockoff", "hard", True), ("lira", None, False), ("label_only", None, True)]
    assert requests[0].spec.params["max_queries"] == 300


def test_a_score_keeping_defense_reruns_the_plan_only() -> None:
    requests, _ = privacy_requests(_entries(KNOCKOFF, LIRA), _defended("scores"), recipe_known=True)
    assert [(r.spec.name, bool(r.adaptive)) for r in requests] == [
        ("knockoff", False),
        ("lira", False),
    ]
    # topk still answers scores: the soft thief re-runs as is, the label-only attacks are added
    requests, _ = privacy_requests(_entries(KNOCKOFF), _defended("topk"), recipe_known=True)
    names = [(r.spec.name, r.spec.params.get("labels")) for r in requests]
    assert names == [("knockoff", "soft"), ("label_only", None), ("knockoff", "hard")]


def test_without_a_recipe_nothing_runs_and_the_reason_is_kept() -> None:
    requests, skipped = privacy_requests(_entries(LIRA), _defended("label"), recipe_known=False)
    assert requests == [] and skipped[0]["attack"] == "lira" and "recipe" in skipped[0]["why"]


def test_the_comparison_is_the_worst_case_per_threat_before_and_after() -> None:
    before = _entries(KNOCKOFF, LIRA)
    hard = {**KNOCKOFF, "params": {"labels": "hard"}, "fidelity": _rate(0.5), "adaptive": True}
    after = _entries({**KNOCKOFF, "fidelity": _rate(0.4)}, hard, model="d")
    rows = {r["threat"]: r for r in privacy_comparison(before, after)}
    stealing = rows["model stealing"]
    assert stealing["defended"]["value"] == 0.5 and stealing["defended"]["adaptive"] is True
    assert stealing["change"]["difference"] == -0.4 and stealing["change"]["significant"]
    membership = rows["membership inference"]
    assert membership["defended"] is None and membership["change"] is None


def test_difference_interval_covers_zero_for_equal_rates() -> None:
    same = difference_interval(_rate(0.5), _rate(0.5))
    assert same["low"] < 0 < same["high"] and not same["significant"]
