"""The Python API: one attack on an in-memory model, or on a model and data named by specs."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import safedl
from safedl.data import TensorData
from safedl.errors import ConfigError
from safedl.models import ModelAdapter
from safedl.results import EvasionEntry, PoisoningEntry


def test_run_attack_takes_a_plain_module_and_tensors(
    trained_digits: tuple[ModelAdapter, TensorData],
) -> None:
    model, data = trained_digits
    module = torch.nn.Sequential(model.module).eval()  # a plain nn.Module on [0, 1] inputs
    report = safedl.run_attack("pgd", module, (data.x[:64], data.y[:64]), {"eps": 0.3})
    result = report.entry
    assert isinstance(result, EvasionEntry) and result.n == 64
    assert result.robust_accuracy is not None and result.clean_accuracy is not None
    assert result.robust_accuracy.value < result.clean_accuracy.value
    assert result.within_bounds and report.reliable
    assert report.examples is not None and report.examples.shape == (64, 1, 8, 8)
    assert {f.id for f in report.validity} == {"VC01", "VC02", "VC05", "VC06"}
    assert report.to_dict()["reliable"] is True
    with pytest.raises(ConfigError, match="run_attack_spec"):
        safedl.run_attack("badnets", model, data)


def test_run_attack_spec_runs_evasion_and_poisoning_with_one_trained_model(
    tmp_path: Path,
) -> None:
    common = {"data": "digits", "epochs": 3, "cache": tmp_path, "seed": 0}
    evasion = safedl.run_attack_spec("fgsm", params={"eps": 0.3}, limit=50, **common).entry
    assert isinstance(evasion, EvasionEntry) and evasion.n == 50
    assert evasion.attack_success_rate is not None and evasion.attack_success_rate.value > 0
    poisoned = safedl.run_attack_spec("badnets", params={"fraction": 0.1}, **common).entry
    assert isinstance(poisoned, PoisoningEntry) and poisoned.poison_count
    assert poisoned.labels_changed == poisoned.poison_count
    assert poisoned.target_class_probability is not None
    models = list(tmp_path.glob("model-*.safetensors"))
    assert len(models) == 2  # the model, trained once for both calls, and the victim
    with pytest.raises(ConfigError, match="stepz"):
        safedl.run_attack_spec("pgd", params={"stepz": 3}, **common)


def test_the_api_leaves_the_callers_random_state_alone(
    trained_digits: tuple[ModelAdapter, TensorData],
) -> None:
    model, data = trained_digits
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    safedl.run_attack("pgd", model, (data.x[:32], data.y[:32]), {"eps": 0.1, "steps": 3})
    assert torch.equal(torch.rand(3), expected)
