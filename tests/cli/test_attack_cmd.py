"""``safedl attack``: one attack outside a profile, JSON output, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from safetensors.torch import save_file

from safedl.cli.app import main
from safedl.config import ModelConfig
from safedl.models import build_model


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    captured = capsys.readouterr()
    return int(exc.value.code or 0), captured.out, captured.err


def test_attack_json_trains_once_then_reuses(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    args = [
        "-q",
        "attack",
        "pgd",
        "--data",
        "digits",
        "-p",
        "eps=0.2",
        "-p",
        "steps=10",
        "--limit",
        "80",
        "--epochs",
        "8",
        "--cache",
        str(tmp_path),
        "--json",
    ]
    code, out, err = cli(capsys, *args)
    assert code == 0, err
    first = json.loads(out)
    for key in ("clean_accuracy", "robust_accuracy", "attack_success_rate"):
        assert 0.0 <= first[key] <= 1.0
    assert first["images_per_second"] > 0
    assert first["clean_accuracy"] > 0.85 and first["robust_accuracy"] < 0.2
    assert first["model"]["trained"]["reused"] is False
    code, out, _ = cli(capsys, *args)
    second = json.loads(out)
    assert second["model"]["trained"]["reused"] is True
    assert second["robust_accuracy"] == first["robust_accuracy"]


def test_attack_with_weights_and_table(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    module = build_model(ModelConfig(name="mlp"), (1, 8, 8), 10)
    weights = tmp_path / "w.safetensors"
    save_file(dict(module.state_dict()), str(weights))
    code, out, err = cli(
        capsys,
        "-q",
        "attack",
        "fgsm",
        "--model",
        "mlp",
        "--weights",
        str(weights),
        "--limit",
        "20",
        "--cache",
        str(tmp_path / "cache"),
    )
    assert code == 0, err
    assert "robust accuracy" in out and "within bounds" in out and "VC01" in out


QUANTISED = """
import torch
from torch import nn


class Quantised(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(64, num_classes))

    def forward(self, x):
        return self.net(torch.round(x * 4).detach() / 4 + 0 * x)


def build(num_classes):
    return Quantised(num_classes)
"""


def test_attack_on_a_gradient_masked_model_is_flagged_unreliable(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    factory = tmp_path / "quantised.py"
    factory.write_text(QUANTISED)
    args = ["-q", "attack", "pgd", "--model", f"{factory}:build", "-p", "eps=0.1"]
    args += ["--epochs", "3", "--limit", "60", "--cache", str(tmp_path), "--json"]
    code, out, err = cli(capsys, *args)
    assert code == 0, err
    result = json.loads(out)
    vc01 = next(f for f in result["validity"] if f["id"] == "VC01")
    assert vc01["status"] == "fail" and result["reliable"] is False
    assert result["unreliable_because"] == ["VC01"]


def test_attack_bad_input(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = cli(capsys, "attack", "pgd", "-p", "epz=1", "--cache", str(tmp_path))
    assert code == 2 and "'eps'" in err
    code, _, err = cli(capsys, "attack", "pgd", "-p", "eps", "--cache", str(tmp_path))
    assert code == 2 and "key=value" in err
    code, _, err = cli(capsys, "attack", "nope", "--cache", str(tmp_path))
    assert code == 2 and "unknown attack" in err
