"""Membership inference: chance on unseen data, Yeom's identity, ordering on an overfit model."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from tests.attacks.privacy.game import SHADOWS, Game
from torch import nn

from safedl.attacks.privacy import PrivacyResult, PrivacyTarget, run_privacy_attack
from safedl.attacks.privacy.inversion_base import train_evaluator
from safedl.attacks.privacy.shadows import train_shadows
from safedl.config import DatasetConfig, ModelConfig, TrainingConfig
from safedl.data import load_dataset
from safedl.defenses.output.policy import OutputPolicy, hardened_oracles
from safedl.errors import ConfigError
from safedl.executor import Executor, ProcessExecutor, SequentialExecutor
from safedl.models import FreshModel, ModelAdapter, local_oracles
from safedl.store import ArtifactStore


def _run(
    game: Game, name: str, model: ModelAdapter | None = None, **params: object
) -> PrivacyResult:
    result = run_privacy_attack(
        name, local_oracles(model or game.target), game.privacy, params=params
    )
    assert isinstance(result, PrivacyResult)
    return result


def _tpr(result: PrivacyResult, fpr: str = "0.01") -> float:
    entry = result.tpr_at_fpr[fpr]
    assert entry["status"] == "done", entry
    return float(entry["tpr"]["value"])


class _Constant(nn.Module):
    def __init__(self, classes: int) -> None:
        super().__init__()
        self.classes = classes

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.zeros(len(x), self.classes)


def test_a_constant_model_and_a_model_that_never_saw_the_members_give_chance(game: Game) -> None:
    splits = game.splits
    constant = ModelAdapter(
        _Constant(splits.num_classes), input_shape=splits.input_shape, num_classes=10
    )
    assert _run(game, "loss_threshold", constant).auc == pytest.approx(0.5, abs=1e-12)
    unseen, _ = train_evaluator(game.privacy)  # trained on the population only
    for name in ("loss_threshold", "label_only"):
        auc = _run(game, name, unseen).auc
        assert auc is not None and abs(auc - 0.5) <= 0.03, (name, auc)


def test_yeom_correctness_rule_follows_the_generalisation_gap(game: Game) -> None:
    result = _run(game, "loss_threshold", score="correct")
    train_acc = game.target.accuracy(game.privacy.members.x, game.privacy.members.y)
    test_acc = game.target.accuracy(game.privacy.non_members.x, game.privacy.non_members.y)
    assert result.balanced_accuracy_rule == "attack threshold"
    assert result.balanced_accuracy is not None
    assert result.balanced_accuracy.value == pytest.approx(
        0.5 + (train_acc - test_acc) / 2, abs=0.01
    )
    assert result.queries == 2 * len(game.privacy.members)
    assert result.extra["oracle_output"] == "label"


def test_overfit_target_lira_online_beats_offline_beats_loss_at_low_fpr(game: Game) -> None:
    loss = _run(game, "loss_threshold")
    offline = _run(game, "lira", shadows=SHADOWS, online=False)
    online = _run(game, "lira", shadows=SHADOWS)
    assert online.auc is not None and online.auc >= 0.6
    assert online.auc_ci is not None and online.auc_ci[0] > 0.5
    assert _tpr(online) >= _tpr(offline) >= _tpr(loss)
    assert _tpr(online) > 0.03  # well above the 1% a random guess gets at 1% FPR
    assert online.tpr_at_fpr["0.001"] == {"status": "too few", "non_members": 500, "needed": 1000}
    assert online.extra["shadows"]["shadows"] == SHADOWS


def test_rmia_and_shadow_model_attacks_find_members(game: Game) -> None:
    for name, params in (
        ("rmia", {"references": SHADOWS}),
        ("rmia", {"references": SHADOWS, "online": True}),
        ("shadow_models", {"shadows": SHADOWS}),
        ("label_only", {"mode": "boundary", "directions": 4, "search_steps": 6}),
    ):
        result = _run(game, name, **params)
        assert result.auc_ci is not None and result.auc_ci[0] > 0.5, (name, result.auc)
    rmia = _run(game, "rmia", references=SHADOWS)
    assert rmia.queries == 2 * len(game.privacy.members) + 1000  # candidates + z samples


def test_shadows_are_in_for_exactly_half_and_cached(game: Game) -> None:
    train_shadows(game.privacy, SHADOWS)
    shadows = train_shadows(game.privacy, SHADOWS)
    assert shadows.trained == 0  # the second call reuses every shadow from the store
    assert (shadows.keep.sum(0) == SHADOWS // 2).all()
    assert (shadows.keep[0::2] ^ shadows.keep[1::2]).all()  # pairs split the candidates
    sizes = shadows.keep.sum(1) + shadows.population_keep.sum(1)
    assert (sizes == len(game.train)).all()  # as much data as the target saw


def test_result_record_is_json_with_every_field(game: Game) -> None:
    entry = json.loads(json.dumps(_run(game, "loss_threshold").to_dict()))
    for key in (
        "family",
        "attack",
        "params",
        "status",
        "auc",
        "balanced_accuracy",
        "tpr_at_fpr",
        "members",
        "non_members",
        "queries",
        "seconds",
        "roc",
        "per_class",
    ):
        assert key in entry
    assert entry["family"] == "privacy" and entry["status"] == "done"
    assert set(entry["tpr_at_fpr"]) == {"0.01", "0.001"}
    assert entry["roc"][0] == [0.0, 0.0] and entry["roc"][-1] == [1.0, 1.0]
    assert len(entry["per_class"]) == 10
    assert {"low", "high", "k", "n"} <= set(entry["balanced_accuracy"])


def test_hardened_output_turns_score_attacks_away_but_not_label_only(game: Game) -> None:
    hardened = hardened_oracles(local_oracles(game.target), OutputPolicy("label"))
    loss = run_privacy_attack("loss_threshold", hardened, game.privacy)
    assert loss.status == "not_applicable" and "label_only" in loss.note
    plain = _run(game, "label_only")
    through = run_privacy_attack("label_only", hardened, game.privacy)
    assert isinstance(through, PrivacyResult) and through.status == "done"
    assert through.auc == plain.auc  # top-1 hardening leaves label-only leakage unchanged


def test_budget_and_config_are_enforced(game: Game) -> None:
    small = replace(game.privacy, query_budget=100)
    result = run_privacy_attack("loss_threshold", local_oracles(game.target), small)
    assert result.status == "over_budget" and "budget" in result.note
    with pytest.raises(ConfigError, match="even"):
        run_privacy_attack("lira", local_oracles(game.target), game.privacy, params={"shadows": 3})
    with pytest.raises(ConfigError):
        run_privacy_attack("lira", local_oracles(game.target), game.privacy, params={"shadow": 4})


@pytest.mark.slow
def test_shadows_trained_in_worker_processes_equal_sequential_ones(tmp_path: Path) -> None:
    splits = load_dataset(DatasetConfig(name="digits"), seed=0)
    fresh = FreshModel(
        ModelConfig(name="mlp", params={"hidden": [32]}),
        splits.input_shape,
        splits.num_classes,
        seed=0,
        device="cpu",
    )
    idx = torch.arange(400)

    def target(store: str, executor: Executor) -> PrivacyTarget:
        return PrivacyTarget(
            members=splits.train.subset(idx[:100]),
            non_members=splits.test.subset(idx[:100]),
            population=splits.train.subset(idx[100:400]),
            new_model=fresh,
            training=TrainingConfig(epochs=3, batch_size=64),
            model_spec={"name": "mlp"},
            store=ArtifactStore(tmp_path / store),
            executor=executor,
        )

    pool = ProcessExecutor(2)
    # Bitwise equality needs the thread count the workers use: float reductions (and so the
    # trained weights) differ with it on some CPUs.
    threads = torch.get_num_threads()
    torch.set_num_threads(pool.threads)
    try:
        seq = train_shadows(target("seq", SequentialExecutor()), 2)
    finally:
        torch.set_num_threads(threads)
    par = train_shadows(target("par", pool), 2)
    assert seq.keys == par.keys and par.trained == 2
    for a, b in zip(seq.models, par.models, strict=True):
        for (name, p), (_, q) in zip(
            a.module.state_dict().items(), b.module.state_dict().items(), strict=True
        ):
            assert torch.equal(p, q), name
