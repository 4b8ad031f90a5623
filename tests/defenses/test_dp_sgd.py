"""DP-SGD: the (ε, δ) it reports bounds every membership test, and LiRA loses its edge."""

from __future__ import annotations

import builtins
import sys
from pathlib import Path
from typing import Any

import pytest
import torch
from tests.attacks.privacy.game import SHADOWS, Game, fmnist_game
from torch import nn

from safedl.attacks.privacy import PrivacyResult, run_privacy_attack
from safedl.data import DataSplits
from safedl.defenses.base import DefendedModel, DefenseContext
from safedl.defenses.training.dp_sgd import dp_compatible
from safedl.errors import ConfigError, SafeDLError
from safedl.evaluation.roc import privacy_audit
from safedl.models import ModelAdapter, local_oracles, model_fingerprint
from safedl.registry import DEFENSES

EPSILON, DELTA = 3.0, 1e-5


@pytest.fixture(scope="session")
def game(tmp_path_factory: pytest.TempPathFactory) -> Game:
    return fmnist_game(tmp_path_factory.getbasetemp())


def _context(game: Game) -> DefenseContext:
    s = game.splits
    splits = DataSplits(
        "fashion_mnist",
        game.train,
        s.val.subset(torch.arange(200)),
        s.test.subset(torch.arange(1000)),
        s.classes,
    )
    return DefenseContext(
        baseline=game.target,
        baseline_id=model_fingerprint(game.target),
        splits=splits,
        training=game.privacy.training,
        new_model=game.fresh,
        model_spec=game.privacy.model_spec,
        store=game.store,
        seed=0,
        device=torch.device("cpu"),
        train_data=game.train,
    )


@pytest.fixture(scope="session")
def private(game: Game) -> DefendedModel:
    params = {"epsilon": EPSILON, "delta": DELTA, "epochs": 20}
    defended: DefendedModel = DEFENSES.create("dp_sgd", params).apply(_context(game))
    return defended


def _attack(game: Game, model: ModelAdapter, name: str, **params: Any) -> PrivacyResult:
    result = run_privacy_attack(name, local_oracles(model), game.privacy, params=params)
    assert isinstance(result, PrivacyResult) and result.status == "done"
    return result


def test_reports_epsilon_delta_sampling_and_accountant(private: DefendedModel) -> None:
    p = private.metrics["privacy"]
    assert 0 < p["epsilon"] <= EPSILON + 1e-6 and p["delta"] == DELTA
    assert p["accountant"] == "prv" and p["sampling"].startswith("Poisson")
    assert p["noise_multiplier"] > 0 and p["steps"] > 0
    assert private.kind == "training" and private.artifact is not None
    assert private.metrics["clean_accuracy"]["value"] > 0.3  # learns (far above 10% chance)
    assert private.cost.train_seconds > 0 or private.cost.reused


def test_membership_attacks_respect_the_dp_bound_and_lira_weakens(
    game: Game, private: DefendedModel
) -> None:
    eps = private.metrics["privacy"]["epsilon"]
    plain = _attack(game, game.target, "lira", shadows=SHADOWS)
    for name, params in (("lira", {"shadows": SHADOWS}), ("loss_threshold", {})):
        result = _attack(game, private.model, name, **params)
        audit = privacy_audit(result.curve(), eps, DELTA)
        assert audit.holds, audit.violations
        assert audit.epsilon_lower_bound <= eps
        # At the point estimates too, every operating point lies below e^ε·FPR + δ.
        assert audit.max_tpr_excess <= 0.0
    dp_lira = _attack(game, private.model, "lira", shadows=SHADOWS)
    tpr = lambda r: r.tpr_at_fpr["0.01"]["tpr"]  # noqa: E731
    assert tpr(dp_lira)["value"] < tpr(plain)["value"]
    assert tpr(dp_lira)["high"] < tpr(plain)["low"]  # and outside each other's CI


def test_second_apply_reuses_the_stored_model(game: Game, private: DefendedModel) -> None:
    params = {"epsilon": EPSILON, "delta": DELTA, "epochs": 20}
    again: DefendedModel = DEFENSES.create("dp_sgd", params).apply(_context(game))
    assert again.cost.reused and again.model_id == private.model_id
    assert again.metrics["privacy"]["epsilon"] == private.metrics["privacy"]["epsilon"]


def test_batchnorm_and_inplace_layers_are_made_dp_compatible() -> None:
    net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(inplace=True), nn.Flatten())
    fixed, replaced = dp_compatible(ModelAdapter(net, input_shape=(1, 8, 8), num_classes=144))
    kinds = {type(m).__name__ for m in fixed.module.modules()}
    assert "GroupNorm" in kinds and "BatchNorm2d" not in kinds
    assert any("BatchNorm2d -> GroupNorm" in r for r in replaced)
    assert not any(getattr(m, "inplace", False) for m in fixed.module.modules())


def test_config_and_delta_are_checked(game: Game) -> None:
    with pytest.raises(ConfigError, match="exactly one"):
        DEFENSES.make_config("dp_sgd", {"epsilon": 1.0, "noise_multiplier": 1.0})
    with pytest.raises(ConfigError, match="1/N"):
        DEFENSES.create("dp_sgd", {"delta": 0.01, "epochs": 1}).apply(_context(game))


def test_missing_opacus_names_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    real_import = builtins.__import__

    def no_opacus(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "opacus" or name.startswith("opacus."):
            raise ImportError("No module named 'opacus'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_opacus)
    for mod in [m for m in sys.modules if m == "opacus" or m.startswith("opacus.")]:
        monkeypatch.delitem(sys.modules, mod)
    from safedl.defenses.training import dp_sgd

    with pytest.raises(SafeDLError, match="Opacus") as exc:
        dp_sgd._opacus()
    assert "safedl[privacy]" in str(exc.value)
