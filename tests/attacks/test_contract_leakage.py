"""The contract of the privacy and extraction families, checked over every registered attack.

Table-driven like ``test_contract.py``: each test is parametrised over the registry, so a new
membership-inference, inversion or stealing attack is covered without touching this file.
A tiny MLP on the 8x8 digits is the target; ``FAST`` only shrinks expensive defaults.

Checked for every attack of these families: it reaches the target only through the Oracle
factory and asks it only for what its declared access grants (a labels-access attack never
asks for scores); it counts its queries and keeps to its budget; the same seed gives the same
figures (shadow and thief models come from the store the second time, and nothing changes);
and against a model that answers labels only, an attack that needs scores says it is not
applicable instead of failing or reporting a number.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch

from safedl.attacks.extraction import ExtractionTarget, run_extraction_attack
from safedl.attacks.privacy import PrivacyTarget, run_privacy_attack
from safedl.config import ModelConfig, TrainingConfig
from safedl.data import DataSplits
from safedl.models import FreshModel, ModelAdapter, Oracle, local_oracles
from safedl.models.oracle import OracleOutput
from safedl.registry import ATTACKS
from safedl.store import ArtifactStore
from safedl.training import train

LEAKAGE = ("privacy", "extraction")
#: Smaller settings for slow defaults; all others run with their defaults.
FAST: dict[str, dict[str, Any]] = {
    "lira": {"shadows": 2},
    "rmia": {"references": 2, "population_samples": 50},
    "shadow_models": {"shadows": 2, "steps": 20},
    "label_only": {"shift": 1},
    "mi_face": {"steps": 10, "samples": 2, "patience": 5, "classes": [0, 1]},
    "knockoff": {"max_queries": 120, "epochs": 2},
    "jacobian": {"max_queries": 120, "seeds": 20, "rounds": 2, "epochs": 2},
}
MODEL = ModelConfig(name="mlp", params={"hidden": [24]})
TRAINING = TrainingConfig(epochs=3, batch_size=64, lr=0.01)
N = 60


def _names() -> list[str]:
    return [i.name for i in ATTACKS if i.family in LEAKAGE]


class _Recording:
    """An oracle factory that records every oracle it hands out (and what it was asked)."""

    def __init__(self, model: ModelAdapter, *, labels_only: bool = False) -> None:
        self.inner = local_oracles(model)
        self.labels_only = labels_only
        self.made: list[tuple[OracleOutput, int | None, Oracle]] = []

    def __call__(self, *, output: OracleOutput, budget: int | None = None, k: int = 1) -> Oracle:
        given: OracleOutput = "label" if self.labels_only else output
        oracle = self.inner(output=given, budget=budget, k=k)
        self.made.append((output, budget, oracle))
        return oracle


@pytest.fixture(scope="module")
def game(digits: DataSplits, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    fresh = FreshModel(MODEL, digits.input_shape, digits.num_classes, seed=0, device="cpu")
    target = fresh()
    train(target, digits.train, None, TRAINING, seed=0)
    test = digits.test
    return {
        "target": target,
        "fresh": fresh,
        "digits": digits,
        "store": ArtifactStore(tmp_path_factory.mktemp("leakage-contract")),
        "members": digits.train.subset(torch.arange(N)),
        "non_members": test.subset(torch.arange(N)),
        "population": digits.val,
        "pool": test.subset(torch.arange(N, len(test) - 100)),
        "test": test.subset(torch.arange(len(test) - 100, len(test))),
    }


def _run(name: str, game: dict[str, Any], oracles: _Recording) -> dict[str, Any]:
    spec = MODEL.model_dump(mode="json")
    if ATTACKS.get(name).family == "privacy":
        target = PrivacyTarget(
            members=game["members"],
            non_members=game["non_members"],
            population=game["population"],
            new_model=game["fresh"],
            training=TRAINING,
            model_spec=spec,
            store=game["store"],
            seed=0,
            train_size=len(game["digits"].train),
            classes=game["digits"].classes,
        )
        out = run_privacy_attack(name, oracles, target, params=FAST.get(name, {}))
    else:
        thief = ExtractionTarget(
            query_pool=game["pool"],
            test=game["test"],
            new_model=game["fresh"],
            training=TRAINING,
            model_spec=spec,
            store=game["store"],
            seed=0,
        )
        out = run_extraction_attack(name, oracles, thief, params=FAST.get(name, {}))
    return out.to_dict()


def _figures(value: Any) -> Any:
    """``value`` without wall-clock and cache bookkeeping, which differ between runs."""
    drop = {"seconds", "reused", "trained", "images"}
    if isinstance(value, dict):
        return {k: _figures(v) for k, v in value.items() if k not in drop}
    if isinstance(value, list):
        return [_figures(v) for v in value]
    if isinstance(value, float):
        return round(value, 6)
    return value


@pytest.fixture(scope="module")
def first(game: dict[str, Any]) -> dict[str, tuple[dict[str, Any], _Recording]]:
    """Each attack run once, with the oracles it was handed."""
    out = {}
    for name in _names():
        oracles = _Recording(game["target"])
        out[name] = (_run(name, game, oracles), oracles)
    return out


@pytest.mark.parametrize("name", _names())
def test_asks_only_for_its_declared_access_and_counts_its_queries(
    name: str, first: dict[str, tuple[dict[str, Any], _Recording]]
) -> None:
    result, oracles = first[name]
    assert result.get("status", "done") == "done", result.get("note")
    asked = {output for output, _, _ in oracles.made}
    assert asked, f"{name} never queried the target through its oracle factory"
    if ATTACKS.get(name).access == "labels":
        assert asked == {"label"}, f"{name} declares labels access but asked for {asked}"
    counted = [o for _, budget, o in oracles.made if budget is not None]
    queries = result.get("queries")
    total = queries if isinstance(queries, int) else (queries or {}).get("total")
    assert isinstance(total, int) and total > 0
    budget = FAST.get(name, {}).get("max_queries")
    if budget is not None:
        assert total <= budget
        assert all(o.queries <= budget for o in counted)


@pytest.mark.parametrize("name", _names())
def test_is_seeded_and_reproducible(
    name: str, game: dict[str, Any], first: dict[str, tuple[dict[str, Any], _Recording]]
) -> None:
    again = _run(name, game, _Recording(game["target"]))
    assert _figures(again) == _figures(first[name][0])


@pytest.mark.parametrize("name", _names())
def test_a_label_only_model_is_attacked_with_labels_or_not_at_all(
    name: str, game: dict[str, Any]
) -> None:
    oracles = _Recording(game["target"], labels_only=True)
    result = _run(name, game, oracles)
    needs_scores = ATTACKS.get(name).access == "scores" and ATTACKS.get(name).family == "privacy"
    if needs_scores and name != "label_only":
        assert result["status"] == "not_applicable" and "labels only" in result["note"]
    else:  # label-only inference and stealing work from labels, and say that they got labels
        assert result.get("status", "done") == "done", result.get("note")
        seen = result.get("oracle_output") or result.get("extra", {}).get("oracle_output")
        assert seen == "label"
    assert {output for output, _, _ in oracles.made} <= {"label", "probs", "topk"}


def test_the_families_have_members() -> None:
    families = {ATTACKS.get(n).family for n in _names()}
    assert families == set(LEAKAGE)
    assert set(FAST) <= set(_names()), "FAST names an attack that is not registered"
