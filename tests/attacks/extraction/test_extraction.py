"""Model extraction: Knockoff (random, adaptive) and Jacobian augmentation, queries and curves."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from tests.attacks.extraction.victim import Victim

from safedl.attacks.extraction import ExtractionResult, run_extraction_attack
from safedl.errors import PluginError
from safedl.models import local_oracles
from safedl.reporting.privacy_plots import plot_extraction_curves


def _steal(victim: Victim, name: str, **params: object) -> ExtractionResult:
    return run_extraction_attack(name, local_oracles(victim.model), victim.target, params=params)


def test_knockoff_soft_labels_10k_queries_reach_fidelity_90(victim: Victim, tmp_path: Path) -> None:
    result = _steal(victim, "knockoff", max_queries=10_000)
    assert result.queries == 10_000 and result.oracle_output == "probs"
    assert result.fidelity.value >= 0.9, result.fidelity
    fidelities = [p["fidelity"]["value"] for p in result.curve]
    assert [p["queries"] for p in result.curve] == [1000, 3000, 10_000]
    assert fidelities == sorted(fidelities)  # more queries never made the copy worse
    assert result.accuracy.value >= result.victim_accuracy.value - 0.05
    # Adversarial examples crafted on the copy transfer; random noise of the same size does not.
    assert result.transfer_success is not None and result.transfer_control is not None
    assert result.transfer_success.low > result.transfer_control.high
    entry = json.loads(json.dumps(result.to_dict()))
    for key in (
        "family",
        "attack",
        "params",
        "status",
        "fidelity",
        "accuracy",
        "victim_accuracy",
        "queries",
        "curve",
        "transfer_success",
    ):
        assert key in entry
    assert entry["family"] == "extraction" and entry["status"] == "done"
    png = plot_extraction_curves({"knockoff": result.curve}, tmp_path / "curve.png")
    assert png.stat().st_size > 1000


def test_adaptive_knockoff_stays_within_budget_and_learns_a_policy(victim: Victim) -> None:
    result = _steal(
        victim, "knockoff", max_queries=2000, strategy="adaptive", rounds=4, curve=[2000]
    )
    assert result.queries == 2000
    policy = result.extra["policy"]
    assert len(policy) == 10 and sum(policy.values()) == pytest.approx(1.0)
    assert max(policy.values()) > 0.1  # the bandit moved away from uniform
    assert result.fidelity.value >= 0.8


def test_jacobian_doubles_its_set_each_round_and_respects_the_budget(victim: Victim) -> None:
    result = _steal(victim, "jacobian", seeds=100, rounds=4, epochs=5)
    assert [p["queries"] for p in result.curve] == [100, 200, 400, 800]
    assert result.queries == 800 and result.oracle_output == "label"
    assert result.extra["synthetic_queries"] == 700
    assert result.fidelity.value > 0.5  # far above the 10% of chance
    capped = _steal(victim, "jacobian", seeds=100, rounds=5, epochs=2, max_queries=500)
    assert capped.queries == 500


def test_queries_beyond_the_pool_and_wrong_families_are_refused(victim: Victim) -> None:
    small = replace(victim.target, query_pool=victim.target.query_pool.subset(torch.arange(300)))
    result = run_extraction_attack(
        "knockoff", local_oracles(victim.model), small, params={"max_queries": 1000, "epochs": 2}
    )
    assert result.queries == 300  # the pool is exhausted before the budget
    with pytest.raises(PluginError, match="privacy"):
        run_extraction_attack("lira", local_oracles(victim.model), victim.target)
