"""``python:module:function``: the user's loader, from a module on sys.path or a file."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import torch

from safedl.config import DatasetConfig
from safedl.data import load_dataset
from safedl.errors import DataError

MODULE = """
import numpy as np
import torch

def pair():
    x = np.linspace(0, 1, 30 * 16, dtype=np.float32).reshape(30, 4, 4)
    return x, np.arange(30) % 3

def quad():
    x = torch.zeros(30, 1, 4, 4)
    return x, torch.arange(30) % 3, torch.ones(6, 1, 4, 4), torch.arange(6) % 3

def mapping():
    return {"x": np.zeros((30, 4, 4, 3), np.uint8), "y": np.arange(30) % 2,
            "classes": ["even", "odd"]}

def triple():
    return (np.zeros((3, 4, 4)), np.zeros(3), np.zeros(3))

def broken():
    raise RuntimeError("database offline")

def nothing():
    return None

value = 3
"""


@pytest.fixture
def user_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    name = f"user_data_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(MODULE))
    monkeypatch.syspath_prepend(str(tmp_path))
    return name


def test_tuple_of_two(user_module: str) -> None:
    splits = load_dataset(DatasetConfig(name=f"python:{user_module}:pair", val_fraction=0), 0)
    assert splits.input_shape == (1, 4, 4) and splits.classes == ["0", "1", "2"]
    assert (len(splits.train), len(splits.test)) == (24, 6)
    assert torch.bincount(splits.test.y).tolist() == [2, 2, 2]


def test_tuple_of_four_tensors(user_module: str) -> None:
    splits = load_dataset(DatasetConfig(name=f"python:{user_module}:quad"), 0)
    assert len(splits.test) == 6 and float(splits.test.x.min()) == 1.0
    assert len(splits.train) + len(splits.val) == 30


def test_dict_with_classes(user_module: str) -> None:
    splits = load_dataset(DatasetConfig(name=f"python:{user_module}:mapping"), 0)
    assert splits.classes == ["even", "odd"] and splits.input_shape == (3, 4, 4)


def test_file_path_module(tmp_path: Path) -> None:
    path = tmp_path / "loader_file.py"
    path.write_text(textwrap.dedent(MODULE))
    splits = load_dataset(DatasetConfig(name=f"python:{path}:pair"), 0)
    assert splits.num_classes == 3


@pytest.mark.parametrize(
    ("function", "expected"),
    [
        ("triple", "the function returned a 3-tuple"),
        ("nothing", "the function returned NoneType"),
        ("broken", "the function raised RuntimeError: database offline"),
        ("value", "has no function 'value'"),
        ("pari", "did you mean 'pair'"),
    ],
)
def test_bad_functions(user_module: str, function: str, expected: str) -> None:
    with pytest.raises(DataError) as info:
        load_dataset(DatasetConfig(name=f"python:{user_module}:{function}"), 0)
    message = str(info.value)
    assert expected in message
    assert message.startswith(f"python:{user_module}:{function}")


def test_missing_module() -> None:
    with pytest.raises(DataError, match="cannot import module 'no_such_mod_xyz'") as info:
        load_dataset(DatasetConfig(name="python:no_such_mod_xyz:load"), 0)
    assert "PYTHONPATH" in str(info.value)


def test_module_that_fails_to_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "bad_user_mod.py").write_text("raise ValueError('oops at import')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(DataError, match="importing 'bad_user_mod' failed: ValueError: oops"):
        load_dataset(DatasetConfig(name="python:bad_user_mod:load"), 0)


@pytest.mark.parametrize("spec", ["python:justmodule", "python::f", "python:mod:"])
def test_malformed_spec(spec: str) -> None:
    with pytest.raises(DataError, match="expected 'python:module:function'"):
        load_dataset(DatasetConfig(name=spec), 0)


def test_returned_data_is_validated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "nan_user_mod.py").write_text(
        "import numpy as np\n"
        "def load():\n"
        "    x = np.full((10, 4, 4), np.nan)\n"
        "    return x, np.arange(10) % 2\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(DataError, match="python:nan_user_mod:load: x has NaN"):
        load_dataset(DatasetConfig(name="python:nan_user_mod:load"), 0)
