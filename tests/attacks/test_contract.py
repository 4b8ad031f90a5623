"""The attack plugin contract, checked over every registered attack.

Table-driven: each test is parametrised over the registry, so a new attack — built in or from
an installed package — is covered without touching this file. ``FAST`` only shrinks expensive
defaults; an attack missing from it runs with its defaults. Tiny MLPs on 8x8 digits keep the
file fast.

Checked for every attack: its Config rejects unknown keys and accepts its defaults. For every
evasion attack: examples inside the ε-ball (or the attack's own bound) and [0, 1]; the same
seed gives identical examples, also when one instance runs twice or on two models in between
(no state between calls); the declared access is the access it gets (a score- or label-based
attack is a BlackBoxAttack that works with an adapter that refuses every forward pass and with
no model at all, asking the oracle factory only for what it declared; a white-box attack is not
a BlackBoxAttack and refuses to run without the model); every figure it reports is named in
its docstring. For every poisoning and backdoor attack: the poisoned set respects its bound and
lists every changed sample in ``indices``; seeded reproducibility; no state between calls;
figures named in the docstring. For every built-in attack of these families: the docstring
template is complete.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch import Tensor, nn

from safedl.attacks.docs import split_sections, template_problems
from safedl.attacks.evasion.base import BOUND_TOLERANCE, EvasionAttack, EvasionResult
from safedl.attacks.evasion.blackbox import BlackBoxAttack
from safedl.attacks.poisoning.base import PoisonedSet, PoisoningAttack
from safedl.config import TrainingConfig
from safedl.data import DataSplits, TensorData
from safedl.errors import ConfigError
from safedl.models import ModelAdapter, Oracle, local_oracles
from safedl.models.oracle import OracleOutput
from safedl.registry import ATTACKS, PluginInfo
from safedl.training import train

#: Smaller settings for attacks whose defaults are slow; all others run with their defaults.
FAST: dict[str, dict[str, Any]] = {
    "pgd": {"steps": 5},
    "apgd_ce": {"steps": 5},
    "apgd_dlr": {"steps": 5},
    "cw": {"binary_search_steps": 2, "steps": 10},
    "deepfool": {"steps": 10},
    "universal_patch": {"steps": 5, "batch_size": 16},
    "square": {"max_queries": 60},
    "nes": {"max_queries": 60, "samples": 8},
    "spsa": {"max_queries": 60, "samples": 8},
    "hopskipjump": {"max_queries": 80, "init_evals": 10},
    "transfer": {"max_queries": 4, "query_samples": 1, "epochs": 1, "steps": 3},
    "feature_collision": {"steps": 3},
    "gradient_matching": {"steps": 3},
    "clean_label_backdoor": {"steps": 2},
}
#: Families with a behavioural contract below.
EVASION, POISONING = ("evasion",), ("poisoning", "backdoor")
N_EVASION = 10


def _names(families: tuple[str, ...] | None = None) -> list[str]:
    return [i.name for i in ATTACKS if families is None or i.family in families]


def _params(name: str) -> dict[str, Any]:
    return dict(FAST.get(name, {}))


def _strip_times(value: Any) -> Any:
    """``value`` without wall-clock entries (``seconds``), which differ between runs."""
    if isinstance(value, dict):
        return {k: _strip_times(v) for k, v in value.items() if k != "seconds"}
    if isinstance(value, list):
        return [_strip_times(v) for v in value]
    return value


def _mlp(seed: int) -> ModelAdapter:
    torch.manual_seed(seed)
    module = nn.Sequential(nn.Flatten(), nn.Linear(64, 24), nn.ReLU(), nn.Linear(24, 10))
    return ModelAdapter(module, input_shape=(1, 8, 8), num_classes=10, device="cpu")


@pytest.fixture(scope="module")
def models(digits: DataSplits) -> tuple[ModelAdapter, ModelAdapter]:
    """Two tiny MLPs (different seeds) trained for a few epochs on the digits."""
    out = []
    for seed in (0, 1):
        model = _mlp(seed)
        train(
            model, digits.train, None, TrainingConfig(epochs=4, batch_size=64, lr=0.01), seed=seed
        )
        out.append(model)
    return out[0], out[1]


@pytest.fixture(scope="module")
def evasion_data(digits: DataSplits) -> TensorData:
    return digits.test.subset(torch.arange(N_EVASION))


@pytest.fixture(scope="module")
def reference(
    models: tuple[ModelAdapter, ModelAdapter], evasion_data: TensorData
) -> Callable[[str], EvasionResult]:
    """The result of each evasion attack on the first model, computed once."""
    done: dict[str, EvasionResult] = {}

    def get(name: str) -> EvasionResult:
        if name not in done:
            attack = ATTACKS.create(name, _params(name), seed=3)
            done[name] = attack.run(models[0], evasion_data, batch_size=4)
        return done[name]

    return get


class _Refuse(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        raise RuntimeError("the attack touched the model adapter")


class _Recording:
    """An oracle factory over a model that records every oracle it hands out."""

    def __init__(self, model: ModelAdapter) -> None:
        self.inner = local_oracles(model)
        self.made: list[tuple[OracleOutput, int | None, Oracle]] = []

    def __call__(self, *, output: OracleOutput, budget: int | None = None, k: int = 1) -> Oracle:
        oracle = self.inner(output=output, budget=budget, k=k)
        self.made.append((output, budget, oracle))
        return oracle


def _reports(info: PluginInfo) -> str:
    return split_sections(info.doc).sections.get("Reports", "")


# -- every attack -------------------------------------------------------------------------


@pytest.mark.parametrize("name", _names())
def test_config_rejects_unknown_keys_and_accepts_its_defaults(name: str) -> None:
    with pytest.raises(ConfigError, match="no_such_param"):
        ATTACKS.make_config(name, {"no_such_param": 1})
    ATTACKS.make_config(name, {})
    ATTACKS.make_config(name, _params(name))


@pytest.mark.parametrize(
    "name", [i.name for i in ATTACKS if i.source == "builtin" and i.family in EVASION + POISONING]
)
def test_builtin_docstring_follows_the_template(name: str) -> None:
    info = ATTACKS.get(name)
    assert template_problems(info) == []


def test_every_family_has_a_contract() -> None:
    # privacy and extraction: test_contract_leakage.py
    families = {i.family for i in ATTACKS}
    missing = sorted(families - {*EVASION, *POISONING, "privacy", "extraction"})
    assert not missing, f"no behavioural contract for the families {missing}"


@pytest.mark.parametrize("name", _names(EVASION + POISONING))
def test_family_base_matches_the_family(name: str) -> None:
    info = ATTACKS.get(name)
    base = EvasionAttack if info.family in EVASION else PoisoningAttack
    assert issubclass(info.cls, base), f"{name} ({info.family}) does not derive from {base}"
    if info.family in POISONING:
        assert info.access == "training-data"


# -- evasion ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", _names(EVASION))
def test_evasion_examples_stay_in_their_bounds(
    name: str, reference: Callable[[str], EvasionResult], evasion_data: TensorData
) -> None:
    res = reference(name)
    attack = ATTACKS.create(name, _params(name))
    info = ATTACKS.get(name)
    assert res.examples is not None and res.examples.shape == evasion_data.x.shape
    adv, x = res.examples, evasion_data.x
    assert adv.min() >= 0.0 and adv.max() <= 1.0
    assert res.within_bounds and res.max_violation <= BOUND_TOLERANCE
    assert (attack.violation(x, adv) <= BOUND_TOLERANCE).all()
    if attack.config.norm in info.norms and not attack.minimum_norm:  # a plain ε-ball
        delta = (adv - x).flatten(1)
        size = delta.abs().amax(1) if attack.config.norm == "linf" else delta.norm(dim=1)
        assert (size <= attack.config.eps + BOUND_TOLERANCE).all()
    assert not set(res.to_dict()) & {"examples", "tensors"}


@pytest.mark.parametrize("name", _names(EVASION))
def test_evasion_is_seeded_and_keeps_no_state_between_calls(
    name: str,
    reference: Callable[[str], EvasionResult],
    models: tuple[ModelAdapter, ModelAdapter],
    evasion_data: TensorData,
) -> None:
    first = reference(name)
    attack = ATTACKS.create(name, _params(name), seed=3)
    before = dict(vars(attack))
    attack.run(models[1], evasion_data, batch_size=4)  # another model in between
    again = attack.run(models[0], evasion_data, batch_size=4)
    after = vars(attack)
    assert after.keys() == before.keys() and all(after[k] is before[k] for k in before)
    assert first.examples is not None and again.examples is not None
    assert torch.equal(first.examples, again.examples)
    assert _strip_times(again.extra) == _strip_times(first.extra)
    assert again.robust_accuracy == first.robust_accuracy


@pytest.mark.parametrize("name", _names(EVASION))
def test_evasion_gets_exactly_its_declared_access(
    name: str,
    reference: Callable[[str], EvasionResult],
    models: tuple[ModelAdapter, ModelAdapter],
    evasion_data: TensorData,
) -> None:
    info = ATTACKS.get(name)
    params = _params(name)
    if info.access == "white-box":
        assert not issubclass(info.cls, BlackBoxAttack)
        with pytest.raises(ConfigError, match="white-box"):
            ATTACKS.create(name, params).run(None, evasion_data)
        return
    assert info.access in ("scores", "labels")
    assert issubclass(info.cls, BlackBoxAttack), f"{name} declares {info.access} access"
    refusing = ModelAdapter(nn.Sequential(_Refuse()), input_shape=(1, 8, 8), num_classes=10)
    with pytest.raises(RuntimeError, match="touched"):  # the guard does fire
        refusing.predict(evasion_data.x)
    expected = reference(name)
    for model in (refusing, None):
        oracles = _Recording(models[0])
        res = ATTACKS.create(name, params, seed=3).run(
            model, evasion_data, batch_size=4, oracles=oracles
        )
        assert res.examples is not None and expected.examples is not None
        assert torch.equal(res.examples, expected.examples)
        assert res.robust_accuracy == expected.robust_accuracy
        counted = [(out, budget, o) for out, budget, o in oracles.made if budget is not None]
        measuring = [(out, budget, o) for out, budget, o in oracles.made if budget is None]
        assert len(counted) == 1  # one budgeted oracle per call ...
        output, budget, oracle = counted[0]
        assert budget == res.params["max_queries"] * N_EVASION
        assert oracle.queries == res.extra["queries"]["total"] <= budget
        assert all(out == "label" for out, _, _ in measuring)  # ... and uncounted label ones
        if info.access == "labels" and not res.params.get("soft_labels"):
            assert output == "label", f"{name} declares labels access but asked for {output}"


@pytest.mark.parametrize("name", _names(EVASION))
def test_evasion_figures_are_named_in_the_docstring(
    name: str, reference: Callable[[str], EvasionResult]
) -> None:
    reports = _reports(ATTACKS.get(name))
    missing = [key for key in reference(name).extra if key not in reports]
    assert not missing, f"{name} reports {missing} without naming them under Reports:"


# -- poisoning and backdoors --------------------------------------------------------------


@pytest.fixture(scope="module")
def poisoning_data(digits: DataSplits) -> tuple[TensorData, TensorData]:
    return digits.train.subset(torch.arange(120)), digits.test.subset(torch.arange(60))


@pytest.fixture(scope="module")
def poisoned(
    models: tuple[ModelAdapter, ModelAdapter], poisoning_data: tuple[TensorData, TensorData]
) -> Callable[[str], PoisonedSet]:
    """The poisoned set of each poisoning attack, computed once."""
    done: dict[str, PoisonedSet] = {}
    train_set, test_set = poisoning_data

    def get(name: str) -> PoisonedSet:
        if name not in done:
            attack = ATTACKS.create(name, _params(name), seed=3)
            done[name] = attack.poison(
                train_set, num_classes=10, clean_model=models[0], test=test_set
            )
        return done[name]

    return get


@pytest.mark.parametrize("name", _names(POISONING))
def test_poisoned_set_respects_its_bound_and_lists_every_poison(
    name: str,
    poisoned: Callable[[str], PoisonedSet],
    poisoning_data: tuple[TensorData, TensorData],
) -> None:
    clean, _ = poisoning_data
    out = poisoned(name)
    attack = ATTACKS.create(name, _params(name))
    assert out.within_bounds and out.max_violation <= BOUND_TOLERANCE
    assert len(out.data) == len(clean) and out.data.input_shape == clean.input_shape
    assert out.data.x.min() >= 0.0 and out.data.x.max() <= 1.0
    idx = out.indices
    assert idx.dtype == torch.int64 and bool((idx[1:] > idx[:-1]).all())
    assert out.count == 0 or (int(idx[0]) >= 0 and int(idx[-1]) < len(clean))
    changed = (out.data.x != clean.x).flatten(1).any(1) | (out.data.y != clean.y)
    listed = torch.zeros(len(clean), dtype=torch.bool)
    listed[idx] = True
    assert not (changed & ~listed).any(), "a changed sample is missing from indices"
    assert out.count > 0 and int(changed.sum()) > 0
    if attack.clean_label:
        assert torch.equal(out.data.y, clean.y)
    budget = attack.budget(len(clean))
    assert int((out.data.y != clean.y).sum()) <= budget
    if out.trigger is not None:
        assert all(t.device.type == "cpu" for t in out.trigger.values())


@pytest.mark.parametrize("name", _names(POISONING))
def test_poisoning_is_seeded_and_keeps_no_state_between_calls(
    name: str,
    poisoned: Callable[[str], PoisonedSet],
    models: tuple[ModelAdapter, ModelAdapter],
    poisoning_data: tuple[TensorData, TensorData],
) -> None:
    train_set, test_set = poisoning_data
    first = poisoned(name)
    attack = ATTACKS.create(name, _params(name), seed=3)
    before = dict(vars(attack))
    attack.poison(train_set, num_classes=10, clean_model=models[1], test=test_set)
    again = attack.poison(train_set, num_classes=10, clean_model=models[0], test=test_set)
    after = vars(attack)
    assert after.keys() == before.keys() and all(after[k] is before[k] for k in before)
    assert torch.equal(first.data.x, again.data.x) and torch.equal(first.data.y, again.data.y)
    assert torch.equal(first.indices, again.indices)
    assert (first.trigger is None) == (again.trigger is None)
    for key, value in (first.trigger or {}).items():
        assert again.trigger is not None and torch.equal(value, again.trigger[key])
    assert _strip_times(first.extra) == _strip_times(again.extra)
    # The outcome depends on the poisoned set alone, not on which instance made it.
    a = ATTACKS.create(name, _params(name), seed=3).outcome(models[0], test_set, first)
    b = attack.outcome(models[0], test_set, first)
    assert torch.equal(a.success, b.success) and torch.equal(a.correct, b.correct)


@pytest.mark.parametrize("name", _names(POISONING))
def test_poisoning_figures_are_named_in_the_docstring(
    name: str, poisoned: Callable[[str], PoisonedSet]
) -> None:
    reports = _reports(ATTACKS.get(name))
    missing = [key for key in poisoned(name).extra if key not in reports]
    assert not missing, f"{name} reports {missing} without naming them under Reports:"


def test_fast_settings_name_registered_attacks_only() -> None:
    """A renamed attack must not silently fall back to its slow defaults here."""
    assert set(FAST) <= set(ATTACKS.names()), "FAST names an attack that is not registered"
