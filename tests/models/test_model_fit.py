"""check_fit: a model that does not fit its data fails early with a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from safedl.config.profile import ModelConfig
from safedl.errors import ModelError
from safedl.models import build_model, check_fit


def test_fitting_model_passes_and_keeps_training_flags() -> None:
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 10), nn.Dropout(0.5))
    model.train()
    model[2].eval()  # mixed flags must come back exactly
    check_fit(model, (1, 8, 8), 10)
    assert model.training and model[1].training and not model[2].training


def test_wrong_class_count_names_both_numbers() -> None:
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 5))
    with pytest.raises(ModelError) as info:
        check_fit(model, (1, 8, 8), 10, name="x", dataset="digits")
    assert "model 'x' returns 5 classes but dataset 'digits' has 10" in str(info.value)
    assert info.value.hint is not None


def test_wrong_input_shape_reports_shape_and_error() -> None:
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    model.train()
    with pytest.raises(ModelError) as info:
        check_fit(model, (1, 8, 8), 10, name="x")
    text = str(info.value)
    assert "model 'x' fails on inputs of shape (1, 8, 8): RuntimeError" in text
    assert "hint:" in text
    assert model.training  # restored after the failure


def test_non_tensor_output_is_rejected() -> None:
    class Pair(nn.Module):
        def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            return x.flatten(1)[:, :10], x

    with pytest.raises(ModelError, match="returns a tuple, not a tensor of logits"):
        check_fit(Pair(), (1, 8, 8), 10)


def test_wrong_output_rank_is_rejected() -> None:
    with pytest.raises(ModelError, match=r"output of shape \(2, 1, 8, 8\).*expected \(2, 10\)"):
        check_fit(nn.Identity(), (1, 8, 8), 10)


def test_fit_check_runs_without_grad_and_in_eval() -> None:
    seen: list[tuple[bool, bool]] = []

    class Spy(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(64, 10)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            seen.append((self.training, torch.is_grad_enabled()))
            return self.fc(x.flatten(1))

    check_fit(Spy(), (1, 8, 8), 10)
    assert seen == [(False, False)]


def test_build_model_checks_fit_of_user_models(tmp_path: Path) -> None:
    path = tmp_path / "five.py"
    path.write_text(
        "from torch import nn\n"
        "def make():\n    return nn.Sequential(nn.Flatten(), nn.Linear(3*32*32, 5))\n"
    )
    # a factory that ignores num_classes
    with pytest.raises(ModelError, match="returns 5 classes but dataset 'cifar10' has 10"):
        build_model(ModelConfig(name=f"{path}:make"), (3, 32, 32), 10, dataset="cifar10")
    # the same factory on the wrong input size
    with pytest.raises(ModelError, match=r"fails on inputs of shape \(1, 28, 28\)"):
        build_model(ModelConfig(name=f"{path}:make"), (1, 28, 28), 5)
