"""The root aliases explain a missing environment instead of failing with a traceback."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from safedl.cli import legacy


def test_missing_dependencies_without_venv_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name: None if name == "torch" else real(name)
    )
    with pytest.raises(SystemExit) as exc:
        legacy.ensure_environment(tmp_path / "run_framework.py")
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "torch" in err and "scripts/setup.sh" in err


def test_complete_environment_passes(tmp_path: Path) -> None:
    legacy.ensure_environment(tmp_path / "run_framework.py")  # returns: nothing is missing
