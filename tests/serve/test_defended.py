"""Serving a defended model of a run: the input defense is in the served model, an output
defense's policy is the default output, an unknown model name is one clear error."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import torch

from safedl.config.profile import Profile
from safedl.data import DataSplits
from safedl.errors import RunError
from safedl.pipeline.run import run_profile
from safedl.pipeline.stages import BaselineStage, DefenseStage
from safedl.serve.model_source import load_served_model
from safedl.serve.runner import build_app

from .conftest import ALICE, live, write_config


@pytest.fixture(scope="module")
def defended_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("defended") / "run"
    profile = Profile.model_validate(
        {
            "name": "serve-defended",
            "dataset": {"name": "digits"},
            "model": {"name": "small_cnn"},
            "training": {"epochs": 10, "batch_size": 64, "lr": 0.002},
            "device": "cpu",
            "defenses": [
                {"name": "output_hardening", "params": {"mode": "topk", "k": 2}},
                {"name": "bit_depth_reduction", "params": {"bits": 2}},
            ],
        }
    )
    run_profile(profile, out=out, stages=[BaselineStage(), DefenseStage()])
    return out


def test_defended_models_over_http(defended_run: Path, digits: DataSplits, tmp_path: Path):
    x = digits.test.x[:32]
    key = {"Authorization": f"Bearer {ALICE}"}
    base_cfg = write_config(tmp_path / "a.yaml")
    hard_cfg = write_config(tmp_path / "b.yaml")
    text = hard_cfg.read_text().replace("output:\n  mode: scores\n", "")
    hard_cfg.write_text(text)  # no output in the config: the defense's own policy applies
    with live(build_app(defended_run, model="output_hardening", config=hard_cfg)) as url:
        body = httpx.post(f"{url}/v1/predict", json=x.tolist(), headers=key).json()
        info = httpx.get(f"{url}/v1/model", headers=key).json()
    assert info["name"] == "output_hardening" and info["output"]["mode"] == "topk"
    assert all(sum(v > 0 for v in row) <= 2 for row in body["scores"])
    squeezed = load_served_model(defended_run, "bit_depth_reduction").adapter
    with live(build_app(defended_run, model="bit_depth_reduction", config=base_cfg)) as url:
        body = httpx.post(f"{url}/v1/predict", json=x.tolist(), headers=key).json()
    assert body["labels"] == squeezed.predict(x).tolist()
    q = torch.round(x * 3) / 3  # 2 bits: what the served model sees
    baseline = load_served_model(defended_run).adapter
    assert body["labels"] == baseline.predict(q).tolist()
    with pytest.raises(RunError, match="no defended model 'jpeg'"):
        load_served_model(defended_run, "jpeg")
