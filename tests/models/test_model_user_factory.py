"""User factories: 'file.py:factory' and 'package.module:factory', and their errors."""

from __future__ import annotations

import textwrap
import uuid
from pathlib import Path

import pytest
import torch

from safedl.config.profile import ModelConfig
from safedl.errors import ModelError
from safedl.models import build_model

FACTORY_SOURCE = textwrap.dedent(
    """
    import torch
    from torch import nn

    CALLS = []

    def with_shape(input_shape, num_classes, hidden=16):
        CALLS.append((tuple(input_shape), num_classes, hidden))
        c, h, w = input_shape
        return nn.Sequential(nn.Flatten(), nn.Linear(c * h * w, hidden), nn.ReLU(),
                             nn.Linear(hidden, num_classes))

    def fixed(hidden=8):
        CALLS.append(("fixed", hidden))
        return nn.Sequential(nn.Flatten(), nn.Linear(64, hidden), nn.Linear(hidden, 10))

    class Net(nn.Module):
        def __init__(self, num_classes=10):
            super().__init__()
            self.fc = nn.Linear(64, num_classes)

        def forward(self, x):
            return self.fc(x.flatten(1))

    def not_a_module():
        return {"weights": 1}

    def broken():
        raise RuntimeError("out of coffee")

    NUMBER = 3
    """
)


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    path = tmp_path / "my_models.py"
    path.write_text(FACTORY_SOURCE)
    return path


def test_file_factory_gets_input_shape_and_num_classes(model_file: Path) -> None:
    cfg = ModelConfig(name=f"{model_file}:with_shape", params={"hidden": 12})
    model = build_model(cfg, (1, 8, 8), 4)
    assert model(torch.rand(3, 1, 8, 8)).shape == (3, 4)
    assert model[1].out_features == 12


def test_file_factory_without_shape_kwargs_gets_only_params(model_file: Path) -> None:
    model = build_model(
        ModelConfig(name=f"{model_file}:fixed", params={"hidden": 5}), (1, 8, 8), 10
    )
    assert model[1].out_features == 5
    assert model(torch.rand(2, 1, 8, 8)).shape == (2, 10)


def test_class_as_factory_receives_num_classes(model_file: Path) -> None:
    model = build_model(ModelConfig(name=f"{model_file}:Net"), (1, 8, 8), 6)
    assert model.fc.out_features == 6


def test_relative_path_is_resolved_against_cwd(
    model_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(model_file.parent)
    model = build_model(ModelConfig(name="my_models.py:fixed"), (1, 8, 8), 10)
    assert model(torch.rand(1, 1, 8, 8)).shape == (1, 10)


def test_file_may_import_its_neighbours(tmp_path: Path) -> None:
    helper = f"helper_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{helper}.py").write_text("WIDTH = 7\n")
    (tmp_path / "net.py").write_text(
        f"from torch import nn\nfrom {helper} import WIDTH\n"
        "def make(num_classes):\n    return nn.Sequential(nn.Flatten(), nn.Linear(64, WIDTH),"
        " nn.Linear(WIDTH, num_classes))\n"
    )
    model = build_model(ModelConfig(name=f"{tmp_path / 'net.py'}:make"), (1, 8, 8), 10)
    assert model[1].out_features == 7


def test_module_factory_from_sys_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = f"userpkg_{uuid.uuid4().hex[:8]}"
    (tmp_path / pkg).mkdir()
    (tmp_path / pkg / "__init__.py").write_text("")
    (tmp_path / pkg / "nets.py").write_text(FACTORY_SOURCE)
    monkeypatch.syspath_prepend(str(tmp_path))
    model = build_model(ModelConfig(name=f"{pkg}.nets:with_shape"), (3, 4, 4), 5)
    assert model(torch.rand(2, 3, 4, 4)).shape == (2, 5)
    model = build_model(ModelConfig(name=f"{pkg}.nets:fixed"), (1, 8, 8), 10)
    assert model[1].out_features == 8


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"nope\.py.*does not exist") as info:
        build_model(ModelConfig(name=f"{tmp_path / 'nope.py'}:make"), (1, 8, 8), 10)
    assert "file.py:factory" in str(info.value)


def test_missing_module() -> None:
    with pytest.raises(ModelError, match=r"module 'no_such_pkg_xyz\.nets' cannot be found"):
        build_model(ModelConfig(name="no_such_pkg_xyz.nets:make"), (1, 8, 8), 10)


def test_missing_attribute_lists_callables(model_file: Path) -> None:
    with pytest.raises(ModelError, match="has no attribute 'make_net'") as info:
        build_model(ModelConfig(name=f"{model_file}:make_net"), (1, 8, 8), 10)
    assert "with_shape" in str(info.value)


def test_non_callable_attribute(model_file: Path) -> None:
    with pytest.raises(ModelError, match="'NUMBER' is a int, not a callable"):
        build_model(ModelConfig(name=f"{model_file}:NUMBER"), (1, 8, 8), 10)


def test_factory_returning_non_module(model_file: Path) -> None:
    with pytest.raises(ModelError, match=r"returned a dict, not a torch\.nn\.Module"):
        build_model(ModelConfig(name=f"{model_file}:not_a_module"), (1, 8, 8), 10)


def test_factory_raising(model_file: Path) -> None:
    with pytest.raises(ModelError, match="factory raised RuntimeError: out of coffee"):
        build_model(ModelConfig(name=f"{model_file}:broken"), (1, 8, 8), 10)


def test_factory_with_unknown_param_names_its_parameters(model_file: Path) -> None:
    with pytest.raises(ModelError) as info:
        build_model(ModelConfig(name=f"{model_file}:fixed", params={"depth": 3}), (1, 8, 8), 10)
    assert "cannot be called with params ['depth']" in str(info.value)
    assert "its parameters are: hidden" in str(info.value)


def test_file_that_fails_to_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import torch\nraise ImportError('missing dependency foo')\n")
    with pytest.raises(ModelError, match=r"running bad\.py failed: ImportError: missing dep"):
        build_model(ModelConfig(name=f"{bad}:make"), (1, 8, 8), 10)


def test_malformed_spec() -> None:
    with pytest.raises(ModelError, match="not a valid factory spec"):
        build_model(ModelConfig(name="some/file.py:"), (1, 8, 8), 10)
