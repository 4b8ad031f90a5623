"""Backdoors without training: patch geometry, poisoned-set invariants, seeding, bad config."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn

from safedl.attacks.backdoor import BackdoorAttack
from safedl.attacks.backdoor.badnets import PatchConfig, make_patch
from safedl.data import TensorData
from safedl.errors import ConfigError
from safedl.models import ModelAdapter
from safedl.registry import ATTACKS


def toy_data(n: int = 200, shape: tuple[int, int, int] = (1, 8, 8), seed: int = 0) -> TensorData:
    gen = torch.Generator().manual_seed(seed)
    return TensorData(torch.rand((n, *shape), generator=gen), torch.arange(n) % 4)


def toy_model(shape: tuple[int, int, int] = (1, 8, 8)) -> ModelAdapter:
    torch.manual_seed(0)
    dim = shape[0] * shape[1] * shape[2]
    module = nn.Sequential(nn.Flatten(), nn.Linear(dim, 16), nn.ReLU(), nn.Linear(16, 4))
    return ModelAdapter(module, input_shape=shape, num_classes=4)


def poison(name: str, params: dict[str, Any], data: TensorData, seed: int = 0) -> Any:
    attack = ATTACKS.create(name, params, seed=seed)
    shape = data.input_shape
    return attack, attack.poison(data, num_classes=4, clean_model=toy_model(shape))


@pytest.mark.parametrize(
    ("shape", "side"), [((1, 8, 8), 2), ((1, 28, 28), 3), ((3, 32, 32), 3), ((1, 64, 64), 6)]
)
def test_default_patch_is_ten_percent_of_the_side_bottom_right(
    shape: tuple[int, int, int], side: int
) -> None:
    trig = make_patch(PatchConfig(), shape, torch.Generator().manual_seed(0))
    _, h, w = shape
    assert trig["mask"].shape == (1, h, w) and trig["pattern"].shape == shape
    assert trig["mask"].sum() == side * side
    assert trig["mask"][0, h - side :, w - side :].all()
    assert (trig["pattern"][:, h - side :, w - side :] == 1).all()


def test_patch_position_pattern_and_colour() -> None:
    gen = torch.Generator().manual_seed(0)
    cfg = PatchConfig(size=4, position=(1, 2), pattern="checkerboard", color=[1.0, 0.5, 0.0])
    trig = make_patch(cfg, (3, 16, 16), gen)
    cells = trig["pattern"][:, 1:5, 2:6]
    assert trig["mask"][0, 1:5, 2:6].all() and trig["mask"].sum() == 16
    assert torch.equal(cells[:, 0, 0], torch.tensor([1.0, 0.5, 0.0]))
    assert (cells[:, 0, 1] == 0).all() and torch.equal(cells[:, 1, 1], cells[:, 0, 0])
    top_left = make_patch(PatchConfig(position="top-left", margin=1), (1, 8, 8), gen)
    assert top_left["mask"][0, 1:3, 1:3].all() and top_left["mask"].sum() == 4
    rand = make_patch(PatchConfig(pattern="random", size=5), (3, 32, 32), gen)
    values = rand["pattern"][:, -5:, -5:]
    assert set(values.unique().tolist()) == {0.0, 1.0}
    assert not torch.equal(values[0], values[1])  # colour: channels differ


def test_patch_that_does_not_fit_or_bad_colour_is_refused() -> None:
    gen = torch.Generator().manual_seed(0)
    with pytest.raises(ConfigError, match="does not fit"):
        make_patch(PatchConfig(size=9), (1, 8, 8), gen)
    with pytest.raises(ConfigError, match="color"):
        make_patch(PatchConfig(color=[0.1, 0.2]), (3, 8, 8), gen)


CASES = [
    ("badnets", {}),
    ("badnets", {"mode": "all_to_all", "pattern": "random"}),
    ("blend", {"alpha": 0.15}),
    ("blend", {"mode": "all_to_all"}),
    ("wanet", {}),
    ("wanet", {"cross_ratio": 0, "mode": "all_to_all"}),
    ("clean_label_backdoor", {"steps": 3, "poison_fraction": 0.1}),
]


@pytest.mark.parametrize(("name", "params"), CASES)
def test_poisoned_set_invariants(name: str, params: dict[str, Any]) -> None:
    clean = toy_data()
    attack, out = poison(name, {**params, "target_class": 1}, clean)
    assert isinstance(attack, BackdoorAttack)
    idx = out.indices
    assert idx.dtype == torch.int64 and bool((idx[1:] > idx[:-1]).all())
    untouched = torch.ones(len(clean), dtype=torch.bool)
    untouched[idx] = False
    assert torch.equal(out.data.x[untouched], clean.x[untouched])
    assert torch.equal(out.data.y[untouched], clean.y[untouched])
    assert out.data.x.min() >= 0 and out.data.x.max() <= 1 and out.within_bounds
    assert out.trigger and all(isinstance(t, torch.Tensor) for t in out.trigger.values())
    relabelled = out.data.y != clean.y
    if name == "clean_label_backdoor":
        assert not relabelled.any() and (clean.y[idx] == 1).all() and len(idx) == 20
        mask = out.trigger["mask"].bool().expand_as(clean.x[idx])
        delta = (out.data.x[idx] - clean.x[idx]).masked_fill(mask, 0)
        assert delta.abs().max() <= attack.config.eps + 1e-6  # PGD part inside the ε-ball
    elif params.get("mode") == "all_to_all":
        assert torch.equal(out.data.y[relabelled], (clean.y[relabelled] + 1) % 4)
    else:
        assert (out.data.y[relabelled] == 1).all() and (clean.y[relabelled] != 1).all()
    poisons = int(relabelled.sum()) if name != "clean_label_backdoor" else len(idx)
    assert poisons == round(attack.config.poison_fraction * len(clean))
    if name == "wanet" and params.get("cross_ratio", 2) > 0:
        assert out.extra["cross_count"] == 2 * poisons and len(idx) == 3 * poisons
    triggered = attack.apply_trigger(clean.x[:5], out.trigger)
    assert triggered.shape == (5, 1, 8, 8) and not torch.equal(triggered, clean.x[:5])
    assert attack.trigger_image(out.trigger).shape[1:] == (8, 8)


@pytest.mark.parametrize("name", ["badnets", "blend", "wanet", "clean_label_backdoor"])
def test_seeded_and_reproducible(name: str) -> None:
    params = {"steps": 2} if name == "clean_label_backdoor" else {}
    if name == "badnets":
        params = {"pattern": "random", "size": 4}
    clean = toy_data()
    _, a = poison(name, params, clean, seed=3)
    _, b = poison(name, params, clean, seed=3)
    _, c = poison(name, params, clean, seed=4)
    assert torch.equal(a.data.x, b.data.x) and torch.equal(a.indices, b.indices)
    assert a.trigger is not None and b.trigger is not None and c.trigger is not None
    assert all(torch.equal(a.trigger[k], b.trigger[k]) for k in a.trigger)
    assert not torch.equal(a.indices, c.indices)


def test_one_instance_serves_many_poisoned_sets() -> None:
    """The trigger lives in the poisoned set, not on the attack: no state between calls."""
    attack = ATTACKS.create("badnets", {"pattern": "random", "size": 3}, seed=1)
    model = toy_model()
    first = attack.poison(toy_data(seed=0), num_classes=4)
    other = attack.poison(
        toy_data(seed=0), num_classes=4, generator=torch.Generator().manual_seed(9)
    )
    again = attack.poison(toy_data(seed=0), num_classes=4)
    assert first.trigger is not None and other.trigger is not None and again.trigger is not None
    assert not torch.equal(first.trigger["pattern"], other.trigger["pattern"])
    assert torch.equal(first.trigger["pattern"], again.trigger["pattern"])
    test = toy_data(40, seed=5)
    # Measuring the first set after crafting another gives the first set's outcome.
    fresh = ATTACKS.create("badnets", {"pattern": "random", "size": 3}, seed=1)
    a, b = attack.outcome(model, test, first), fresh.outcome(model, test, first)
    assert torch.equal(a.success, b.success) and torch.equal(a.correct, b.correct)
    stamped = attack.apply_trigger(test.x, first.trigger)
    assert not torch.equal(stamped, attack.apply_trigger(test.x, other.trigger))


def test_legacy_use_trigger_still_works_with_a_warning() -> None:
    attack = ATTACKS.create("blend", {})
    out = attack.poison(toy_data(), num_classes=4)
    assert out.trigger is not None
    with pytest.warns(DeprecationWarning, match="use_trigger"):
        attack.use_trigger(out.trigger)
    assert torch.equal(
        attack.apply_trigger(toy_data(3).x), attack.apply_trigger(toy_data(3).x, out.trigger)
    )
    assert torch.equal(attack.trigger_image(), out.trigger["pattern"])


def test_apply_trigger_without_a_trigger_and_bad_config() -> None:
    attack = ATTACKS.create("badnets", {})
    with pytest.raises(ConfigError, match="needs a trigger"):
        attack.apply_trigger(torch.zeros(1, 1, 8, 8))
    with pytest.raises(ConfigError, match="all-to-one"):
        ATTACKS.make_config("clean_label_backdoor", {"mode": "all_to_all"})
    with pytest.raises(ConfigError, match="unknown key"):
        ATTACKS.make_config("wanet", {"strength": 1})
    with pytest.raises(ConfigError, match="out of range"):
        ATTACKS.create("blend", {"target_class": 7}).poison(toy_data(), num_classes=4)
    assert ATTACKS.make_config("badnets", {"fraction": 0.2}).poison_fraction == 0.2  # type: ignore[attr-defined]
    info = ATTACKS.get("wanet")
    assert (info.family, info.access) == ("backdoor", "training-data") and "ICLR 2021" in info.paper
