"""The evasion base: final run/generate/examples, prepare once per call, per-call state."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import Tensor, nn

from safedl.attacks.evasion.base import AttackRun, EvasionAttack, EvasionConfig
from safedl.attacks.evasion.blackbox import BlackBoxAttack
from safedl.attacks.evasion.cascade import CascadeAttack
from safedl.data import TensorData
from safedl.errors import ConfigError, PluginError
from safedl.models import ModelAdapter


def tiny_model(seed: int = 0) -> ModelAdapter:
    torch.manual_seed(seed)
    module = nn.Sequential(nn.Flatten(), nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 3))
    return ModelAdapter(module, input_shape=(1, 4, 4), num_classes=3, device="cpu")


def tiny_data(n: int = 10) -> TensorData:
    gen = torch.Generator().manual_seed(0)
    return TensorData(
        torch.rand(n, 1, 4, 4, generator=gen), torch.randint(0, 3, (n,), generator=gen)
    )


class Noise(EvasionAttack[ModelAdapter]):
    """Random signs of size ε; prepare draws one shared offset; counts what it saw.

    Paper: none. Threat: L∞; access ``white-box``. Reports: ``extra["batches"]``.
    """

    plugin_name = "noise"

    def prepare(self, access: ModelAdapter, data: TensorData, run: AttackRun) -> Tensor:
        run.stats["prepared_on"] = len(data)
        return torch.rand(data.x.shape[1:], generator=run.generator) * 2 - 1

    def perturb(
        self, access: ModelAdapter, x: Tensor, y: Tensor, target: Tensor | None, run: AttackRun
    ) -> Tensor:
        assert run.batch.stop - run.batch.start == len(x)
        run.gather("sizes", torch.tensor([len(x)]))
        sign = torch.rand(x.shape, generator=run.generator) * 2 - 1
        return (x + self.config.eps * (sign + run.prepared).clamp(-1, 1)).clamp(0, 1)

    def report(self, run: AttackRun) -> dict[str, Any]:
        return {"batches": run.gathered("sizes").tolist()}


def test_prepare_runs_once_per_call_and_state_stays_in_the_call() -> None:
    attack = Noise(EvasionConfig(eps=0.1), seed=4)
    data = tiny_data(10)
    res = attack.run(tiny_model(), data, batch_size=4)
    assert res.extra == {"prepared_on": 10, "batches": [4, 4, 2]}
    assert res.within_bounds
    again = attack.run(tiny_model(1), data, batch_size=4)
    assert res.examples is not None and again.examples is not None
    assert torch.equal(res.examples, again.examples) and again.extra == res.extra
    assert set(vars(attack)) == {"config", "seed"}
    x_adv, target = attack.generate(tiny_model(), data.x, data.y, batch_size=4)
    assert torch.equal(x_adv, res.examples) and target is None


def test_targets_come_back_for_targeted_attacks() -> None:
    attack = Noise(EvasionConfig(eps=0.1, targeted=True), seed=0)
    out = attack.examples(tiny_model(), tiny_data().x, tiny_data().y, batch_size=3)
    assert out.target is not None and bool((out.target != tiny_data().y).all())
    with pytest.raises(ConfigError, match="out of range"):
        Noise(EvasionConfig(targeted=True, target_class=5)).run(tiny_model(), tiny_data())


def test_a_white_box_attack_needs_the_model() -> None:
    with pytest.raises(ConfigError, match="white-box: it needs the model"):
        Noise(EvasionConfig()).run(None, tiny_data())


@pytest.mark.parametrize("method", ["run", "generate", "examples"])
def test_run_generate_and_examples_are_final(method: str) -> None:
    assert getattr(getattr(EvasionAttack, method), "__final__", False)
    with pytest.raises(PluginError, match=f"defines {method}"):
        type("Bad", (Noise,), {method: lambda self, *a, **k: None, "__doc__": "x"})


def test_black_box_perturb_and_cascade_prepare_are_final() -> None:
    with pytest.raises(PluginError, match="defines perturb"):
        type("Bad", (BlackBoxAttack,), {"perturb": lambda self, *a: None})
    with pytest.raises(PluginError, match="defines prepare"):
        type("Bad", (CascadeAttack,), {"prepare": lambda self, *a: None})


def test_tensors_stay_out_of_the_serialised_result() -> None:
    from safedl.registry import ATTACKS

    torch.manual_seed(0)
    module = nn.Sequential(nn.Flatten(), nn.Linear(64, 10))
    model = ModelAdapter(module, input_shape=(1, 8, 8), num_classes=10, device="cpu")
    data = TensorData(torch.rand(8, 1, 8, 8), torch.zeros(8, dtype=torch.long))
    res = ATTACKS.create("universal_patch", {"steps": 3}).run(model, data)
    assert res.tensors["patch"].shape == (1, 2, 2)
    out = res.to_dict()
    assert "tensors" not in out and "examples" not in out and out["extra"]["patch"]["side"] == 2
