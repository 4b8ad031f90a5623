"""The Python API: one attack on an in-memory model, or on a model and data named by specs."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import safedl
from safedl.attacks.evasion.base import EvasionResult
from safedl.attacks.poisoning import PoisoningResult
from safedl.data import TensorData
from safedl.errors import ConfigError
from safedl.models import ModelAdapter


def test_run_attack_takes_a_plain_module_and_tensors(
    trained_digits: tuple[ModelAdapter, TensorData],
) -> None:
    model, data = trained_digits
    module = torch.nn.Sequential(model.module).eval()  # a plain nn.Module on [0, 1] inputs
    result = safedl.run_attack("pgd", module, (data.x[:64], data.y[:64]), {"eps": 0.3})
    assert isinstance(result, EvasionResult) and result.n == 64
    assert result.robust_accuracy.value < result.clean_accuracy.value
    assert result.within_bounds
    with pytest.raises(ConfigError, match="run_attack_spec"):
        safedl.run_attack("badnets", model, data)


def test_run_attack_spec_runs_evasion_and_poisoning_with_one_trained_model(
    tmp_path: Path,
) -> None:
    common = {"data": "digits", "epochs": 3, "cache": tmp_path, "seed": 0}
    evasion = safedl.run_attack_spec("fgsm", params={"eps": 0.3}, limit=50, **common)
    assert isinstance(evasion, EvasionResult) and evasion.n == 50
    assert evasion.attack_success_rate.value > 0
    poisoned = safedl.run_attack_spec("badnets", params={"fraction": 0.1}, **common)
    assert isinstance(poisoned, PoisoningResult) and poisoned.poison_count > 0
    assert poisoned.labels_changed == poisoned.poison_count
    assert poisoned.target_class_probability is not None
    models = list(tmp_path.glob("model-*.safetensors"))
    assert len(models) == 2  # the model, trained once for both calls, and the victim
    with pytest.raises(ConfigError, match="stepz"):
        safedl.run_attack_spec("pgd", params={"stepz": 3}, **common)
