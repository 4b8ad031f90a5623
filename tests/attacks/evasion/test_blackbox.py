"""Black-box base: oracle-only access, per-example query counting, early exit, shared checks."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import Tensor, nn

from safedl.attacks.evasion.blackbox import (
    BlackBoxAttack,
    BlackBoxConfig,
    ExampleOracle,
    objective,
)
from safedl.data import TensorData
from safedl.errors import ConfigError
from safedl.models import ModelAdapter, QueryBudgetExceeded
from safedl.registry import ATTACKS

# Small settings that keep each black-box attack fast on a tiny model.
FAST: dict[str, dict[str, Any]] = {
    "square": {"max_queries": 40},
    "nes": {"max_queries": 40, "samples": 8},
    "spsa": {"max_queries": 40, "samples": 8},
    "hopskipjump": {"max_queries": 60, "init_evals": 10},
    "transfer": {"max_queries": 4, "query_samples": 1, "epochs": 1, "steps": 3},
}
BALL = ["square", "nes", "spsa", "transfer"]


def tiny_model(seed: int = 0) -> ModelAdapter:
    torch.manual_seed(seed)
    module = nn.Sequential(nn.Flatten(), nn.Linear(16, 12), nn.ReLU(), nn.Linear(12, 3))
    return ModelAdapter(module, input_shape=(1, 4, 4), num_classes=3, device="cpu")


def tiny_data(n: int = 12, seed: int = 0) -> tuple[Tensor, Tensor]:
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 1, 4, 4, generator=gen)
    x[0] = 0.0
    x[1] = 1.0
    return x, torch.randint(0, 3, (n,), generator=gen)


class _NoBackward(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: Tensor) -> Tensor:
        return x.clone()

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        raise RuntimeError("a black-box attack asked for gradients")


class _Guard(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        out: Tensor = _NoBackward.apply(x)
        return out


def test_objective_is_the_margin_or_cross_entropy() -> None:
    probs = torch.tensor([[0.7, 0.2, 0.1], [0.1, 0.6, 0.3]])
    labels = torch.tensor([0, 0])
    loss, success = objective(probs, labels, targeted=False)
    assert torch.allclose(loss, torch.log(torch.tensor([0.7 / 0.2, 0.1 / 0.6])))
    assert success.tolist() == [False, True]
    loss, success = objective(probs, torch.tensor([1, 1]), targeted=True)
    assert torch.allclose(loss, -torch.log(torch.tensor([0.2, 0.6])))
    assert success.tolist() == [False, True]


class _Recorder(BlackBoxAttack):
    """Spends ``spend`` queries per example it is given and records what it saw."""

    plugin_name = "recorder"
    spend = 3
    seen: list[Any]

    def attack(self, oracle, x, y, target, run):  # type: ignore[no-untyped-def]
        self.seen = [type(oracle), len(x), oracle.remaining().clone()]
        for _ in range(self.spend):
            answers = oracle(x.clone().requires_grad_(True))
            self.seen.append(answers.requires_grad)
        return x


def test_plugin_gets_an_oracle_and_misclassified_points_cost_one_query() -> None:
    model = tiny_model()
    x, _ = tiny_data(20)
    y = model.predict(x)
    y[:7] = (y[:7] + 1) % 3  # seven points the model already gets wrong
    attack = _Recorder(BlackBoxConfig(max_queries=10))
    res = attack.run(model, TensorData(x, y))
    assert attack.seen[0] is ExampleOracle
    assert attack.seen[1] == 13
    assert (attack.seen[2] == 9).all()
    assert attack.seen[3:] == [False, False, False]  # answers never carry gradients
    q = res.extra["queries"]
    assert q["total"] == 7 * 1 + 13 * (1 + 3)
    assert q["max"] == 4 and q["budget_per_example"] == 10
    assert q["median"] == 4.0 and q["mean"] == pytest.approx(q["total"] / 20)


def test_per_example_budget_is_enforced() -> None:
    model = tiny_model()
    x, _ = tiny_data(6)
    attack = _Recorder(BlackBoxConfig(max_queries=3))
    with pytest.raises(QueryBudgetExceeded):
        attack.generate(model, x, model.predict(x))


@pytest.mark.parametrize("name", sorted(FAST))
@pytest.mark.parametrize("norm", ["linf", "l2"])
def test_bounds_budget_and_reproducibility(name: str, norm: str) -> None:
    if name == "spsa" and norm == "l2":
        pytest.skip("spsa is L∞ only")
    model = tiny_model(1)
    x, y = tiny_data(12, seed=1)
    eps = 0.3 if norm == "linf" else 0.8
    params = {"eps": eps, "norm": norm, **FAST[name]}
    res = ATTACKS.create(name, params, seed=5).run(model, TensorData(x, y), batch_size=5)
    assert res.examples is not None
    adv = res.examples
    assert adv.min() >= 0.0 and adv.max() <= 1.0
    if name in BALL:
        delta = (adv - x).flatten(1)
        size = delta.abs().amax(1) if norm == "linf" else delta.norm(dim=1)
        assert (size <= eps + 1e-5).all()
    assert res.within_bounds
    q = res.extra["queries"]
    assert 0 < q["max"] <= params["max_queries"] and q["total"] <= 12 * params["max_queries"]
    again, _ = ATTACKS.create(name, params, seed=5).generate(model, x, y, batch_size=5)
    assert torch.equal(adv, again)


@pytest.mark.parametrize("name", ["square", "hopskipjump", "transfer"])
def test_works_on_a_model_that_refuses_gradients(
    name: str, trained_digits: tuple[ModelAdapter, TensorData]
) -> None:
    base, data = trained_digits
    guarded = ModelAdapter(
        nn.Sequential(_Guard(), base.module), input_shape=base.input_shape, num_classes=10
    )
    small = data.subset(torch.arange(20))
    with pytest.raises(RuntimeError, match="gradients"):  # the guard does fire on backward
        ATTACKS.create("fgsm", {"eps": 0.1}).run(guarded, small)
    res = ATTACKS.create(name, {"eps": 0.2, **FAST[name]}).run(guarded, small)
    assert res.within_bounds


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("nes", {"samples": 7}, "even"),
        ("spsa", {"samples": 9}, "even"),
        ("spsa", {"norm": "l2"}, "L∞ norm only"),
        ("nes", {"samples": 50, "max_queries": 20}, "at least samples"),
        ("square", {"p_init": 0}, "p_init"),
        ("square", {"max_queries": 0}, "max_queries"),
        ("square", {"queries": 10}, "queries"),
        ("hopskipjump", {"init_evals": 0}, "init_evals"),
        ("transfer", {"max_queries": 5, "query_samples": 4}, "query set needs 10"),
        ("square", {"target_class": 2}, "targeted"),
    ],
)
def test_invalid_configs_are_rejected_with_a_useful_message(
    name: str, params: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        ATTACKS.make_config(name, params)


def test_registry_metadata_states_the_access_each_attack_needs() -> None:
    access = {n: ATTACKS.get(n).access for n in FAST}
    assert access == {
        "square": "scores",
        "nes": "scores",
        "spsa": "scores",
        "hopskipjump": "labels",
        "transfer": "labels",
    }
    assert ATTACKS.get("universal_patch").access == "white-box"


class _Preparer(BlackBoxAttack):
    """Spends ``k`` queries per example in prepare, then what is left in attack."""

    plugin_name = "preparer"
    k = 2

    def prepare(self, access, data, run):  # type: ignore[no-untyped-def]
        owner = torch.arange(len(data)).repeat(self.k)
        access(data.x.repeat(self.k, 1, 1, 1), owner)
        return int(access.used().sum())

    def attack(self, oracle, x, y, target, run):  # type: ignore[no-untyped-def]
        left = oracle.remaining()
        assert bool((left == self.config.max_queries - self.k - 1).all()), left
        owner = torch.arange(len(x)).repeat_interleave(left)
        oracle(x.repeat_interleave(left, 0), owner)
        return x


def test_prepare_and_the_batches_share_one_per_example_budget() -> None:
    model = tiny_model()
    x, _ = tiny_data(12)
    y = model.predict(x)  # all correct: every example is attacked
    res = _Preparer(BlackBoxConfig(max_queries=6)).run(model, TensorData(x, y), batch_size=5)
    q = res.extra["queries"]
    assert q["max"] == q["median"] == 6 and q["total"] == 12 * 6
    greedy = _Preparer(BlackBoxConfig(max_queries=6))
    greedy.k = 6
    with pytest.raises(QueryBudgetExceeded):
        greedy.run(model, TensorData(x, y))


class _ConstantLabels:
    """An oracle factory whose label oracles answer class 0 (an output defense, say)."""

    def __init__(self, model: ModelAdapter) -> None:
        self.model = model

    def __call__(self, *, output: Any, budget: int | None = None, k: int = 1) -> Any:
        from safedl.models import Oracle

        real = Oracle(self.model, output=output, budget=budget, k=k)

        class Answer:
            num_classes = real.num_classes
            queries = 0

            def __call__(self, z: Tensor) -> Tensor:
                out = real(z)
                return torch.zeros(len(z), dtype=torch.long) if output == "label" else out

        return Answer()


def test_black_box_attacks_are_measured_through_the_callers_oracles() -> None:
    model = tiny_model()
    x, y = tiny_data(12)
    data = TensorData(x, y)
    res = ATTACKS.create("square", {"max_queries": 5}).run(
        None, data, oracles=_ConstantLabels(model)
    )
    assert res.clean_accuracy.value == pytest.approx(float((y == 0).float().mean()))
    with pytest.raises(ConfigError, match="needs a model or an oracle factory"):
        ATTACKS.create("square", {"max_queries": 5}).run(None, data)
