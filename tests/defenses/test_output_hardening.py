"""Output hardening: policies, the Oracle wrapper, the mitigation rule, and what it stops."""

from __future__ import annotations

import pytest
import torch
from tests.attacks.extraction.victim import Victim, fmnist_victim

from safedl.attacks.extraction import run_extraction_attack
from safedl.data import DataSplits
from safedl.defenses.base import DefendedModel, DefenseContext
from safedl.defenses.output.hardening import mitigation_claim
from safedl.defenses.output.policy import HardenedOracle, OutputPolicy, hardened_oracles
from safedl.models import QueryBudgetExceeded, local_oracles, model_fingerprint
from safedl.registry import DEFENSES


@pytest.fixture(scope="session")
def victim(tmp_path_factory: pytest.TempPathFactory) -> Victim:
    return fmnist_victim(tmp_path_factory.getbasetemp())


def test_policies_transform_answers_as_documented(victim: Victim) -> None:
    x = victim.target.test.x[:64]
    plain = local_oracles(victim.model)
    probs = plain(output="probs")(x)
    labels = plain(output="label")(x)
    top = hardened_oracles(plain, OutputPolicy("label"))(output="probs")
    assert top.output == "label" and torch.equal(top(x), labels)
    topk = hardened_oracles(plain, OutputPolicy("topk", k=2))(output="probs")
    answer = topk(x)
    assert topk.output == "topk" and ((answer > 0).sum(1) <= 2).all()
    assert torch.equal(answer.argmax(1), labels)
    rounded = hardened_oracles(plain, OutputPolicy("round", decimals=1))(output="probs")(x)
    assert torch.allclose(rounded * 10, (rounded * 10).round(), atol=1e-5)
    hot = hardened_oracles(plain, OutputPolicy("temperature", temperature=4.0))(output="probs")(x)
    with torch.inference_mode():
        expected = torch.softmax(victim.model.logits(x) / 4.0, dim=1)
    assert torch.allclose(hot, expected, atol=1e-5)
    assert torch.equal(hot.argmax(1), probs.argmax(1))


def test_hardened_oracle_counts_and_enforces_the_budget(victim: Victim) -> None:
    x = victim.target.test.x[:30]
    oracle = hardened_oracles(local_oracles(victim.model), OutputPolicy("round"))(
        output="probs", budget=50
    )
    assert isinstance(oracle, HardenedOracle)
    oracle(x)
    assert oracle.queries == 30 and oracle.remaining == 20
    with pytest.raises(QueryBudgetExceeded):
        oracle(x)


def test_top1_hurts_the_soft_label_thief_but_not_the_hard_label_one(victim: Victim) -> None:
    plain = local_oracles(victim.model)
    top1 = hardened_oracles(plain, OutputPolicy("label"))

    def fidelity(oracles: object, labels: str) -> float:
        params = {"max_queries": 1000, "labels": labels, "curve": [1000]}
        result = run_extraction_attack("knockoff", oracles, victim.target, params=params)  # type: ignore[arg-type]
        return float(result.fidelity.value)

    soft_plain, soft_top1 = fidelity(plain, "soft"), fidelity(top1, "soft")
    hard_plain, hard_top1 = fidelity(plain, "hard"), fidelity(top1, "hard")
    assert soft_top1 < soft_plain - 0.01, (soft_plain, soft_top1)
    assert hard_top1 == hard_plain  # a hard-label thief never used more than the top-1
    assert soft_top1 == hard_plain  # top-1 turns the soft-label thief into a hard-label one


def _context(victim: Victim) -> DefenseContext:
    s = victim.splits
    splits = DataSplits(
        "fashion_mnist",
        s.train.subset(torch.arange(100)),
        s.val.subset(torch.arange(100)),
        s.test.subset(torch.arange(300)),
        s.classes,
    )
    return DefenseContext(
        baseline=victim.model,
        baseline_id=model_fingerprint(victim.model),
        splits=splits,
        training=victim.target.training,
        new_model=victim.fresh,
        model_spec=victim.target.model_spec,
        store=victim.store,
        seed=0,
        device=torch.device("cpu"),
    )


def test_defense_declares_output_and_the_mitigation_rule(victim: Victim) -> None:
    defended: DefendedModel = DEFENSES.create("output_hardening", {"mode": "label"}).apply(
        _context(victim)
    )
    assert defended.kind == "output" and defended.adaptive.output == "label"
    assert defended.oracles is not None
    x = victim.target.test.x[:8]
    assert torch.equal(defended.oracles(output="probs")(x), victim.model.predict(x))
    assert defended.model is victim.model and defended.model_id != model_fingerprint(victim.model)
    assert defended.cost.latency_ms > 0 and defended.cost.baseline_latency_ms > 0
    required = {r["attack"] for r in defended.metrics["mitigation_requires"]}
    assert required == {"label_only", "knockoff"}
    mid = defended.model_id
    score_only = [{"family": "privacy", "attack": "lira", "model_id": mid, "status": "done"}]
    claim = mitigation_claim(mid, score_only)
    assert not claim["allowed"] and len(claim["missing"]) == 2
    full = [
        *score_only,
        {"family": "privacy", "attack": "label_only", "model_id": mid, "status": "done"},
        {
            "family": "extraction",
            "attack": "knockoff",
            "model_id": mid,
            "status": "done",
            "params": {"labels": "hard"},
        },
    ]
    assert mitigation_claim(mid, full)["allowed"]
    assert not mitigation_claim("another-model", full)["allowed"]
    topk = DEFENSES.create("output_hardening", {"mode": "topk", "k": 3}).apply(_context(victim))
    assert topk.adaptive.output == "topk" and topk.model_id != mid
