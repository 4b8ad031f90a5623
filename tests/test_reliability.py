"""Bad input gets one clear message and exit code 2; written files honour the umask."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
import torch
from torch import nn

from safedl.assess import AssessSettings, ModelUnderTest, assess_model
from safedl.cli.app import main
from safedl.config.profile import PluginSpec
from safedl.data import TensorData
from safedl.errors import ModelError, RunError
from safedl.models import ModelAdapter
from safedl.store import ArtifactStore

QUICK = """
name: quick
training: {epochs: 2, batch_size: 64}
attacks: [{name: fgsm, params: {eps: 0.1}}]
evaluation: {samples: 30, curves: false, validity_checks: false}
"""


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return int(exc.value.code or 0), err


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("quick")
    profile = root / "quick.yaml"
    profile.write_text(QUICK)
    old = os.umask(0o022)
    try:
        with pytest.raises(SystemExit) as exc:
            main(["-q", "run", str(profile), "--out", str(root / "run")])
    finally:
        os.umask(old)
    assert exc.value.code in (0, None)
    return root / "run"


def test_files_of_a_run_honour_the_umask(finished_run: Path) -> None:
    for name in ("report.md", "report.html", "record.json", "profile.yaml"):
        mode = stat.S_IMODE((finished_run / name).stat().st_mode)
        assert mode == 0o644, (name, oct(mode))
    artifact = next((finished_run / "artifacts").glob("*.safetensors"))
    assert stat.S_IMODE(artifact.stat().st_mode) == 0o644


def test_out_that_is_an_existing_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, finished_run: Path
) -> None:
    target = tmp_path / "a-file"
    target.write_text("x")
    code, err = cli(capsys, "run", str(finished_run.parent / "quick.yaml"), "--out", str(target))
    assert code == 2 and "is an existing file" in err
    code, err = cli(capsys, "threat-model", "--preset", "cloud-api", "--out", str(tmp_path))
    assert code == 2 and "is a directory" in err


def test_corrupt_record_and_artifact(
    capsys: pytest.CaptureFixture[str], finished_run: Path, tmp_path: Path
) -> None:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(finished_run, copy)
    (copy / "record.json").write_text('{"record_version": "2.0", "stages": ')
    code, err = cli(capsys, "report", str(copy))
    assert code == 2 and "cannot read the run record" in err
    code, err = cli(capsys, "run", str(finished_run.parent / "quick.yaml"), "--out", str(copy))
    assert code == 2 and "record.json" in err
    # a truncated artifact: the stored baseline
    copy2 = tmp_path / "copy2"
    shutil.copytree(finished_run, copy2)
    record = json.loads((copy2 / "record.json").read_text())
    key = record["stages"]["baseline"]["result"]["artifact"]
    weights = copy2 / "artifacts" / f"{key}.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    store = ArtifactStore(copy2 / "artifacts")
    with pytest.raises(RunError, match="corrupt or truncated"):
        store.load_tensors(key)


class NaNModel(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.full((len(x), 10), float("nan")) + 0 * x.flatten(1).sum(1, keepdim=True)


def test_a_model_with_non_finite_outputs_is_refused(tmp_path: Path) -> None:
    model = ModelAdapter(NaNModel(), input_shape=(1, 8, 8), num_classes=10)
    data = TensorData(torch.rand(8, 1, 8, 8), torch.zeros(8, dtype=torch.long))
    target = ModelUnderTest.local(model, name="nan")
    with pytest.raises(ModelError, match="non-finite logits"):
        assess_model(
            target,
            data,
            [PluginSpec(name="fgsm", params={})],
            AssessSettings(ArtifactStore(tmp_path)),
        )
