"""The cascade equals the per-sample worst case; curves fall with ε."""

from __future__ import annotations

import itertools
from pathlib import Path

import torch

from safedl.assess import AssessSettings, ModelUnderTest
from safedl.assess.curves import curve_specs, robustness_curve
from safedl.attacks.evasion.cascade import cascade
from safedl.config.profile import PluginSpec
from safedl.data import TensorData
from safedl.models import ModelAdapter
from safedl.registry import ATTACKS
from safedl.store import ArtifactStore


def test_cascade_runs_later_attacks_on_survivors_only(
    trained_digits: tuple[ModelAdapter, TensorData],
) -> None:
    model, data = trained_digits
    fgsm = ATTACKS.create("fgsm", {"eps": 0.12})
    pgd = ATTACKS.create("pgd", {"eps": 0.12, "steps": 10})
    x_adv, robust, steps = cascade(model, data.x, data.y, [fgsm, pgd])
    clean_ok = model.predict(data.x) == data.y
    assert steps[0]["ran_on"] == int(clean_ok.sum())
    assert steps[1]["ran_on"] == steps[0]["robust_after"]
    assert steps[1]["robust_after"] == int(robust.sum())
    # every point marked broken really is misclassified by its stored example
    assert ((model.predict(x_adv) != data.y) | robust).all()
    assert (x_adv - data.x).abs().amax() <= 0.12 + 1e-6
    # the worst case is at least as strong as either attack alone
    alone = ATTACKS.create("pgd", {"eps": 0.12, "steps": 10}).run(model, data)
    assert robust.float().mean() <= alone.robust_accuracy.value + 0.03


def test_curve_specs_pick_main_attacks_and_largest_eps() -> None:
    plan = [
        PluginSpec(name="pgd", params={"eps": 0.1}),
        PluginSpec(name="pgd", params={"eps": 0.2}),
        PluginSpec(name="pgd", params={"eps": 1.0, "norm": "l2"}),
        PluginSpec(name="pgd", params={"eps": 0.3, "targeted": True}),
        PluginSpec(name="fgsm", params={}),
    ]
    specs = curve_specs(plan)
    assert {(s.name, s.params.get("norm", "linf"), s.params.get("eps")) for s in specs} == {
        ("pgd", "linf", 0.2),
        ("pgd", "l2", 1.0),
        ("fgsm", "linf", None),
    }


def test_curve_decreases_and_its_points_are_stored_units(
    trained_digits: tuple[ModelAdapter, TensorData], tmp_path: Path
) -> None:
    model, data = trained_digits
    target = ModelUnderTest.local(model)
    settings = AssessSettings(ArtifactStore(tmp_path), seed=0)
    spec = PluginSpec(name="pgd", params={"eps": 0.2, "steps": 10})
    curve = robustness_curve(target, data.subset(torch.arange(100)), spec, settings)
    accs = [p["accuracy"] for p in curve["points"]]
    assert curve["points"][0]["eps"] == 0.0 and accs[0] > 0.9
    assert accs[-1] < 0.05
    assert all(b <= a + 0.02 for a, b in itertools.pairwise(accs))
    units = [p["unit"] for p in curve["points"][1:]]
    assert all(settings.store.get_json(u) is not None for u in units)


def test_autoattack_lite_cascade_is_worst_case_and_cheaper(
    trained_digits: tuple[ModelAdapter, TensorData],
) -> None:
    model, data = trained_digits
    data = data.subset(torch.arange(100))
    res = ATTACKS.create("autoattack_lite", {"eps": 0.15}, seed=0).run(model, data)
    steps = res.extra["cascade"]
    assert [s["attack"] for s in steps] == ["apgd_ce", "apgd_dlr", "square"]
    # later attacks run only on survivors: far fewer attacked points than 3 full passes
    assert steps[1]["ran_on"] == steps[0]["robust_after"]
    assert steps[2]["ran_on"] == steps[1]["robust_after"]
    assert sum(s["ran_on"] for s in steps) < 2 * len(data)
    assert res.robust_accuracy.k == steps[-1]["robust_after"]
    assert res.within_bounds
    alone = ATTACKS.create("apgd_ce", {"eps": 0.15}, seed=0).run(model, data)
    assert res.robust_accuracy.value <= alone.robust_accuracy.value
